"""Operations console."""
