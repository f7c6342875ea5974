"""A few seconds of real video for the demo's video lesson, drawn and encoded in pure Python: H.264 in MP4.

Decisions:
* The demo must show a captioned video lesson, but no video encoder is installed (no ffmpeg, no PyAV), and a
  20 MB encoder is not worth adding for a demo. H.264 has a macroblock type that carries its pixels as they
  are (I_PCM), so a valid stream needs no transform or entropy coder: an I frame of I_PCM macroblocks, then P
  frames that skip every macroblock that did not change and send the changed ones as I_PCM. Each still is
  shown for a few seconds (an MP4 sample may last as long as we like), so the file is ~30 KB.
* Baseline profile (what every phone plays), 4:2:0, 128×96; the picture is a chapati cut into quarters,
  with one more quarter shaded on each slide, to match the captions the demo pack writes.
"""
import math
from pathlib import Path
import struct

WIDTH, HEIGHT = 128, 96  # 8 × 6 macroblocks
MB = 16
TIMESCALE = 1000
SLIDE_MS = 3000
PROFILE, LEVEL = 66, 30  # Baseline, level 3.0

WHITE, DARK = (250, 248, 240), (60, 40, 20)
CHAPATI, SHADED = (226, 178, 92), (178, 60, 40)


class _Bits:
    """An H.264 bit writer (fixed-width and Exp-Golomb codes)."""

    def __init__(self):
        self.bits: list[int] = []

    def u(self, n: int, value: int) -> None:
        self.bits += [(value >> (n - 1 - i)) & 1 for i in range(n)]

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        while len(self.bits) % 8:
            self.bits.append(0)

    def raw(self, data: bytes) -> None:
        for byte in data:
            self.u(8, byte)

    def trailing(self) -> bytes:
        self.bits.append(1)
        self.align_zero()
        return bytes(int("".join(map(str, self.bits[i:i + 8])), 2) for i in range(0, len(self.bits), 8))


def _nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """A NAL unit: its header byte and the payload with emulation-prevention bytes."""
    out, zeros = bytearray([(ref_idc << 5) | kind]), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps() -> bytes:
    b = _Bits()
    b.u(8, PROFILE), b.u(8, 0xC0), b.u(8, LEVEL)  # constraint_set0 and 1: plain Baseline
    b.ue(0), b.ue(0), b.ue(2), b.ue(1), b.u(1, 0)  # sps id, log2_max_frame_num-4, POC type 2, 1 ref frame
    b.ue(WIDTH // MB - 1), b.ue(HEIGHT // MB - 1)
    b.u(1, 1), b.u(1, 1), b.u(1, 0), b.u(1, 0)  # frames only, direct 8x8, no cropping, no VUI
    return _nal(3, 7, b.trailing())


def _pps() -> bytes:
    b = _Bits()
    b.ue(0), b.ue(0), b.u(1, 0), b.u(1, 0), b.ue(0), b.ue(0), b.ue(0)  # ids, CAVLC, one slice group, refs
    b.u(1, 0), b.u(2, 0), b.se(0), b.se(0), b.se(0)  # no weighting, QP 26, no chroma offset
    b.u(1, 1), b.u(1, 0), b.u(1, 0)  # deblocking control present, no constrained intra, no redundant pics
    return _nal(3, 8, b.trailing())


def _slice(frame_num: int, blocks: list[bytes], changed: list[bool]) -> bytes:
    """One picture: an IDR of I_PCM macroblocks (frame 0), or a P picture skipping unchanged macroblocks."""
    idr = frame_num == 0
    b = _Bits()
    b.ue(0), b.ue(2 if idr else 0), b.ue(0), b.u(4, frame_num % 16)  # first MB, I or P, pps id, frame_num
    if idr:
        b.ue(0)  # idr_pic_id
    else:
        b.u(1, 0), b.u(1, 0)  # no ref count override, no list modification
    b.u(1, 0) if not idr else (b.u(1, 0), b.u(1, 0))  # reference marking: sliding window / IDR defaults
    b.se(0), b.ue(1)  # slice QP delta, deblocking off (I_PCM pixels stay exact)
    skipped = 0
    for block, coded in zip(blocks, changed):
        if not (idr or coded):
            skipped += 1
            continue
        if not idr:
            b.ue(skipped)
            skipped = 0
        b.ue(25 if idr else 30)  # mb_type I_PCM (30 in a P slice: 5 inter types come first)
        b.align_zero()
        b.raw(block)
    if skipped:
        b.ue(skipped)
    return _nal(3 if idr else 2, 5 if idr else 1, b.trailing())


def _colour(x: float, y: float, shaded_quarters: int) -> tuple[int, int, int]:
    """The slide's colour at a pixel: a chapati cut into four, `shaded_quarters` of it shaded."""
    dx, dy = x - WIDTH / 2, y - HEIGHT / 2
    radius = math.hypot(dx, dy)
    if radius > 40:
        return DARK if radius < 42 else WHITE
    if shaded_quarters and (abs(dx) < 1.2 or abs(dy) < 1.2):
        return DARK  # the cuts
    quarter = (0 if dx >= 0 else 1) if dy < 0 else (3 if dx >= 0 else 2)
    return SHADED if quarter < shaded_quarters - 1 else CHAPATI


def _ycbcr(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    r, g, b = rgb  # BT.601, video range
    return (16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
            128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255,
            128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)


def _blocks(shaded_quarters: int) -> list[bytes]:
    """The slide as I_PCM macroblocks in raster order: 256 luma, 64 Cb, 64 Cr samples each (never 0)."""
    pixels = [[_ycbcr(_colour(x + .5, y + .5, shaded_quarters)) for x in range(WIDTH)] for y in range(HEIGHT)]
    sample = lambda v: max(1, min(255, round(v)))  # noqa: E731
    blocks = []
    for my in range(HEIGHT // MB):
        for mx in range(WIDTH // MB):
            luma = [sample(pixels[my * MB + j][mx * MB + i][0]) for j in range(MB) for i in range(MB)]
            chroma = [[sample(sum(pixels[my * MB + 2 * j + dj][mx * MB + 2 * i + di][c]
                                  for dj in (0, 1) for di in (0, 1)) / 4) for j in range(8) for i in range(8)]
                      for c in (1, 2)]
            blocks.append(bytes(luma + chroma[0] + chroma[1]))
    return blocks


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version_flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version_flags), *parts)


MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _moov(samples: list[bytes], sps: bytes, pps: bytes, mdat_offset: int) -> bytes:
    duration = SLIDE_MS * len(samples)
    avcc = _box(b"avcC", bytes([1, PROFILE, 0xC0, LEVEL, 0xFF, 0xE1]), struct.pack(">H", len(sps)), sps,
                b"\x01", struct.pack(">H", len(pps)), pps)
    avc1 = _box(b"avc1", bytes(6), struct.pack(">HHH", 1, 0, 0), bytes(12), struct.pack(">HH", WIDTH, HEIGHT),
                struct.pack(">IIIH", 0x480000, 0x480000, 0, 1), bytes(32), struct.pack(">Hh", 0x18, -1), avcc)
    stbl = _box(b"stbl", _full(b"stsd", 0, struct.pack(">I", 1), avc1),
                _full(b"stts", 0, struct.pack(">III", 1, len(samples), SLIDE_MS)),
                _full(b"stss", 0, struct.pack(">II", 1, 1)),
                _full(b"stsc", 0, struct.pack(">IIII", 1, 1, len(samples), 1)),
                _full(b"stsz", 0, struct.pack(">II", 0, len(samples)), *(struct.pack(">I", len(s)) for s in samples)),
                _full(b"stco", 0, struct.pack(">II", 1, mdat_offset)))
    minf = _box(b"minf", _full(b"vmhd", 1, bytes(8)),
                _box(b"dinf", _full(b"dref", 0, struct.pack(">I", 1), _full(b"url ", 1))), stbl)
    mdia = _box(b"mdia", _full(b"mdhd", 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, duration, 0x55C4, 0)),
                _full(b"hdlr", 0, bytes(4), b"vide", bytes(12), b"Lantern demo\x00"), minf)
    tkhd = _full(b"tkhd", 3, struct.pack(">IIIII", 0, 0, 1, 0, duration), bytes(8), struct.pack(">hhhH", 0, 0, 0, 0),
                 MATRIX, struct.pack(">II", WIDTH << 16, HEIGHT << 16))
    mvhd = _full(b"mvhd", 0, struct.pack(">IIII", 0, 0, TIMESCALE, duration), struct.pack(">IH", 0x10000, 0x100),
                 bytes(10), MATRIX, bytes(24), struct.pack(">I", 2))
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))


def chapati_video(slides: int = 5) -> bytes:
    """An MP4 file: slide n shows a chapati cut into quarters with n - 1 of them shaded, 3 s each."""
    frames = [_blocks(0)] + [_blocks(n) for n in range(1, slides)]
    samples = []
    for n, blocks in enumerate(frames):
        changed = [True] * len(blocks) if n == 0 else [a != b for a, b in zip(blocks, frames[n - 1])]
        nal = _slice(n, blocks, changed)
        samples.append(struct.pack(">I", len(nal)) + nal)
    sps, pps = _sps(), _pps()
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    head = len(ftyp) + len(_moov(samples, sps, pps, 0)) + 8
    return ftyp + _moov(samples, sps, pps, head) + _box(b"mdat", *samples)


VIDEO_PACK_ID = "quarters-on-film"
CAPTIONS = ("One chapati: one whole.", "Cut it into four equal parts.", "One part is one quarter: 1/4.",
            "Two parts are two quarters: 2/4, the same as one half.", "Three parts are three quarters: 3/4.")


def write_video_pack(folder: Path) -> Path:
    """Write the source of the demo's one-lesson video pack (the video, its captions, the lesson) in `folder`."""
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    (folder / "media").mkdir(exist_ok=True)
    (folder / "media" / "quarters.mp4").write_bytes(chapati_video(len(CAPTIONS)))
    cues = "".join(f"\n{n + 1}\n{_time(n * SLIDE_MS)} --> {_time((n + 1) * SLIDE_MS - 100)}\n{text}\n"
                   for n, text in enumerate(CAPTIONS))
    (folder / "media" / "quarters.en.vtt").write_text("WEBVTT\n" + cues, encoding="utf-8")
    (folder / "pack.yaml").write_text(f"""format: 1
id: {VIDEO_PACK_ID}
version: 1.0.0
title: Quarters on film
language: en
licence: CC-BY-4.0
authors: [Lantern contributors]
description: A demo pack with one short captioned video, drawn by the demo itself.
subjects: [mathematics]
level: primary
skills: []
units:
  - id: quarters
    title: Quarters
    lessons:
      - lessons/01-quarters.md
""", encoding="utf-8")
    (folder / "lessons" / "01-quarters.md").write_text("""---
id: watch-quarters
title: "Watch: a chapati in quarters"
summary: A 15-second video with captions. One chapati is cut into four equal parts.
minutes: 2
media:
  - kind: video
    file: ../media/quarters.mp4
    title: A chapati in quarters
    captions:
      - {file: ../media/quarters.en.vtt, language: en, label: English}
---

## Four equal parts

Watch the chapati. It is cut into **four equal parts**. Each part is **one quarter** (1/4).

Two quarters (2/4) are the same as **one half**. Three quarters (3/4) leave one quarter for someone else.
""", encoding="utf-8")
    return folder


def _time(ms: int) -> str:
    return f"00:00:{ms // 1000:02d}.{ms % 1000:03d}"
