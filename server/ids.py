"""Identifiers: time-ordered UUIDs (version 7, RFC 9562) for events and records."""
import os
import time
import uuid


def uuid7() -> str:
    """A new UUIDv7 as text: 48-bit Unix milliseconds, then random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | (rand & (2**62 - 1))
    return str(uuid.UUID(int=value))


def is_uuid(text: str) -> bool:
    """True for a canonical UUID string."""
    try:
        return str(uuid.UUID(text)) == text
    except (ValueError, TypeError, AttributeError):
        return False
