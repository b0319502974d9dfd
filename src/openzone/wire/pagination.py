"""Opaque nextToken paging over offsets."""

import base64
import binascii

from openzone.errors import ValidationError


def decode_token(token: str | None) -> int:
    """Offset encoded in a nextToken (0 when absent)."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        kind, _, value = raw.partition(":")
        if kind != "o":
            raise ValueError(kind)
        return max(0, int(value))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("The nextToken is not valid.") from None


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def page(items: list, offset: int, limit: int) -> tuple[list, str | None]:
    """Slice of one page (items holds up to limit+1 rows fetched from offset) and the next token."""
    more = len(items) > limit
    return items[:limit], encode_token(offset + limit) if more else None
