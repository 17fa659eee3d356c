import pytest

from models_runtime.thinking import split_thinking


@pytest.mark.parametrize(
    ("text", "reasoning", "answer"),
    [
        ("<think>add 2 and 2</think>The answer is 4.", "add 2 and 2", "The answer is 4."),
        ("<think>\nstep one\n</think>\n\nDone", "step one", "Done"),
        ("add 2 and 2</think>4", "add 2 and 2", "4"),  # template opened the block
        (
            "<think>still thinking when the tokens ran out",
            "still thinking when the tokens ran out",
            "",
        ),
        ("Plain answer.", None, "Plain answer."),
        ("Sure. <think>hmm</think> Yes.", "hmm", "Sure.  Yes."),
    ],
)
def test_split_thinking(text, reasoning, answer):
    assert split_thinking(text) == (reasoning, answer)
