"""Parsers per format, each with a well-kept library: Markdown (markdown-it-py), HTML
(BeautifulSoup), PDF (pypdf), DOCX (python-docx), CSV of question/answer rows (csv), plain
text. Each returns the document's title and its sections (heading path + text); a file that
cannot be read raises ``DocumentError`` naming the problem. Zip archives are opened by the
service through the platform's upload guard, member by member."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from apps.core.upload_guard import (
    UploadLimitExceeded,
    check_cell,
    check_count,
    check_decompressed,
    check_zip_expansion,
    guarded_csv,
    upload_limit,
)

FORMATS = ("markdown", "html", "pdf", "docx", "csv", "text", "zip")
EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".csv": "csv",
    ".txt": "text",
    ".zip": "zip",
}
FIELD = "file"


class DocumentError(ValueError):
    """A file that cannot be turned into a document (the message says why)."""


@dataclass
class Section:
    heading_path: list[str]
    text: str


@dataclass
class ParsedDocument:
    title: str
    sections: list[Section] = field(default_factory=list)


def detect_format(filename: str, data: bytes) -> str:
    """The format by extension, checked against the bytes."""
    name = filename.lower()
    ext = name[name.rfind(".") :] if "." in name else ""
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        raise DocumentError(
            f"{filename}: unsupported file type {ext or '(none)'}; use one of "
            + ", ".join(sorted(EXTENSIONS))
        )
    if fmt == "pdf" and not data.startswith(b"%PDF"):
        raise DocumentError(f"{filename}: not a PDF file (no %PDF header)")
    if fmt in ("docx", "zip") and not data.startswith(b"PK"):
        raise DocumentError(f"{filename}: not a {fmt.upper()} file (not a zip container)")
    return fmt


def _text(data: bytes, filename: str) -> str:
    if b"\x00" in data:
        raise DocumentError(f"{filename}: binary content in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{filename}: not UTF-8 text (byte {exc.start})") from exc


def _stem(filename: str) -> str:
    base = filename.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0].replace("-", " ").replace("_", " ")


class _Builder:
    """Collects paragraphs under the current heading path."""

    def __init__(self):
        self.path: list[tuple[int, str]] = []
        self.sections: list[Section] = []
        self.title = ""
        self.paragraphs = 0

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        if not self.title:
            self.title = text
        self.path = [(lvl, t) for lvl, t in self.path if lvl < level] + [(level, text)]

    def paragraph(self, text: str) -> None:
        # The upload guard's caps for documents: a paragraph is a cell, and paragraphs are rows.
        check_cell(text, field=FIELD, where=f"in paragraph {self.paragraphs + 1}")
        text = " ".join(text.split())
        if not text:
            return
        self.paragraphs += 1
        if self.paragraphs > upload_limit("max_rows"):
            check_count("max_rows", self.paragraphs, field=FIELD)
        headings = [t for _, t in self.path]
        if self.sections and self.sections[-1].heading_path == headings:
            self.sections[-1].text += "\n" + text
        else:
            self.sections.append(Section(headings, text))


def parse_markdown(data: bytes, filename: str) -> ParsedDocument:
    builder = _Builder()
    tokens = MarkdownIt("commonmark").enable("table").parse(_text(data, filename))
    level = None
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1])
        elif token.type == "inline" and level is not None:
            builder.heading(level, token.content)
            level = None
        elif token.type == "inline":
            builder.paragraph(token.content)
        elif token.type in ("fence", "code_block"):
            builder.paragraph(token.content)
    return ParsedDocument(builder.title or _stem(filename), builder.sections)


def parse_html(data: bytes, filename: str) -> ParsedDocument:
    soup = BeautifulSoup(_text(data, filename), "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript", "template"]):
        tag.decompose()
    builder = _Builder()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    blocks = soup.find_all(re.compile(r"^(h[1-6]|p|li|td|th|pre|dt|dd|blockquote)$"))
    for block in blocks:
        if block.find_parent(["li", "td", "th", "pre", "blockquote"]) is not None:
            continue  # its text is part of an outer block already
        text = block.get_text(" ", strip=True)
        if block.name[0] == "h" and block.name[1:].isdigit():
            builder.heading(int(block.name[1]), text)
        else:
            builder.paragraph(text)
    return ParsedDocument(title or builder.title or _stem(filename), builder.sections)


def parse_pdf(data: bytes, filename: str) -> ParsedDocument:
    from pypdf import PdfReader  # imported on use: only PDF uploads need it
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        check_count("max_pages", len(pages), field=FIELD)
        texts, extracted = [], 0
        for page in pages:  # page streams inflate: their text counts as decompressed bytes
            texts.append(page.extract_text() or "")
            extracted += len(texts[-1].encode())
            check_decompressed(extracted, field=FIELD)
        title = (reader.metadata or {}).get("/Title") if reader.metadata else ""
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{filename}: the PDF cannot be read ({exc})") from exc
    sections = []
    title = str(title or _stem(filename))
    for number, text in enumerate(texts, start=1):
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
        body = "\n".join(p for p in paragraphs if p)
        if body:
            sections.append(Section([title, f"p. {number}"], body))
    if not sections:
        raise DocumentError(f"{filename}: the PDF holds no extractable text")
    return ParsedDocument(title, sections)


def parse_docx(data: bytes, filename: str) -> ParsedDocument:
    import docx  # python-docx, imported on use

    try:  # a DOCX is a zip: inflated within the upload guard's caps before python-docx reads it
        check_zip_expansion(io.BytesIO(data), field=FIELD)
    except UploadLimitExceeded as exc:
        if exc.status_code == 413:
            raise
        raise DocumentError(
            f"{filename}: the DOCX cannot be read ({exc.detail[FIELD][0]})"
        ) from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{filename}: the DOCX cannot be read ({exc})") from exc
    builder = _Builder()
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style == "Title":
            builder.heading(1, paragraph.text)
        elif match := re.match(r"Heading (\d)", style):
            builder.heading(int(match.group(1)) + 1, paragraph.text)
        else:
            builder.paragraph(paragraph.text)
    for table in document.tables:
        for row in table.rows:
            builder.paragraph(" | ".join(cell.text.strip() for cell in row.cells))
    return ParsedDocument(builder.title or _stem(filename), builder.sections)


def parse_csv(data: bytes, filename: str) -> ParsedDocument:
    rows = list(guarded_csv(csv.reader(io.StringIO(_text(data, filename))), field=FIELD))
    if not rows:
        raise DocumentError(f"{filename}: empty CSV")
    header = [h.strip().casefold() for h in rows[0]]
    if "question" not in header or "answer" not in header:
        raise DocumentError(f"{filename}: the CSV needs the columns question and answer")
    check_count("max_rows", len(rows) - 1, field=FIELD)
    q, a = header.index("question"), header.index("answer")
    sections = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) <= max(q, a):
            raise DocumentError(f"{filename}:{number}: the row has no question or answer")
        question, answer = row[q].strip(), row[a].strip()
        check_cell(answer, field=FIELD, where=f"{filename}:{number}:answer")
        if question and answer:
            sections.append(Section([question], answer))
    if not sections:
        raise DocumentError(f"{filename}: no question/answer rows")
    return ParsedDocument(_stem(filename), sections)


def parse_text(data: bytes, filename: str) -> ParsedDocument:
    builder = _Builder()
    for paragraph in re.split(r"\n\s*\n", _text(data, filename)):
        builder.paragraph(paragraph)
    return ParsedDocument(_stem(filename), builder.sections)


PARSERS = {
    "markdown": parse_markdown,
    "html": parse_html,
    "pdf": parse_pdf,
    "docx": parse_docx,
    "csv": parse_csv,
    "text": parse_text,
}


def parse(filename: str, data: bytes, fmt: str) -> ParsedDocument:
    """Sections of one (non-archive) file; a file without any text is an error too."""
    parsed = PARSERS[fmt](data, filename)
    if not parsed.sections:
        raise DocumentError(f"{filename}: no text found")
    return parsed
