"""Generated content packs for the benchmarks: source folders of Markdown lessons of realistic size
(headings, paragraphs, lists, a callout, a challenge with its solution: 2.5–4 KB, like the bundled
lessons), a few images, optional audio with captions, and practice items; then built with the real
`lantern pack build`.

The words come from a fixed vocabulary drawn with a Zipf-like law, so a search for a common word matches
many lessons and a rare word few, as in a real library. Everything is deterministic for a seed.
"""
import itertools
import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml

COMMON = ("water school market family number child mother teacher village garden maize bread mango "
          "health hands soap sun rain field river road house paper time day week money price shop "
          "animal cow goat chicken tree leaf seed farm harvest food meal plate cup bowl salt sugar "
          "milk egg fish rice bean clock hour minute half quarter part whole share equal group count "
          "add take measure length weight metre litre kilogram map north south east west light heat "
          "sound wind cloud story word letter sentence book page friend neighbour doctor nurse clinic "
          "mosquito net fever cough wash clean safe boil drink walk run play game team ball song").split()
FILLER = ("the a of and to in is it that for on with as are this be at by from or one two three they we "
          "you can has have each every some many more most first then when because so if not all").split()
SYLLABLES = ("ka ri to ma lu ne so pa ve di mo ta ku be ra li no sa fe gi ho ju ze wa ye").split()


def vocabulary(size: int = 3000, seed: int = 11) -> list[str]:
    """Topic words, most frequent first: real words, then made-up ones (unique)."""
    rng = random.Random(seed)
    words, seen = list(COMMON), set(COMMON) | set(FILLER)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class TextMaker:
    """Sentences from the vocabulary, topic words drawn Zipf-like (rank r has weight 1/r)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words))))

    def topic_words(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=n)

    def sentence(self) -> str:
        topic = self.topic_words(self.rng.randint(3, 7))
        words = [w for t in topic for w in (self.rng.choice(FILLER), t)]
        words = words[:self.rng.randint(8, 16)]
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def title(self) -> str:
        return " ".join(w.capitalize() for w in self.topic_words(self.rng.randint(2, 4)))


@dataclass(frozen=True)
class LibrarySpec:
    """What one generated pack holds."""

    pack_id: str
    lessons: int
    images: int = 5  # raster images (PNG), shared by some lessons
    image_size: tuple[int, int] = (800, 600)
    audio_bytes: int = 0  # per lesson (0: no audio); random bytes in an .ogg, with a WebVTT caption track
    lessons_per_unit: int = 10
    seed: int = 1


def write_source(spec: LibrarySpec, dest: Path) -> Path:
    """Write a pack source folder (pack.yaml, lessons, images, media, practice); return it."""
    rng, text = random.Random(spec.seed), TextMaker(spec.seed)
    for sub in ("lessons", "images", "media", "practice"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    images = [_write_image(dest / "images" / f"picture-{n:02d}.png", spec.image_size, rng)
              for n in range(spec.images)]
    svg = dest / "images" / "diagram.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40"><rect width="60" height="20" '
                   'x="10" y="10" fill="#8ac"/><circle cx="80" cy="20" r="10" fill="#c84"/></svg>\n')
    skills = [{"id": f"skill-{n:02d}", "title": text.title(), "prerequisites": [f"skill-{n - 1:02d}"] if n else []}
              for n in range(max(1, min(10, spec.lessons // spec.lessons_per_unit)))]
    units = []
    for u in range(0, spec.lessons, spec.lessons_per_unit):
        unit_id = f"unit-{u // spec.lessons_per_unit:03d}"
        skill = skills[(u // spec.lessons_per_unit) % len(skills)]["id"]
        lessons = []
        for n in range(u, min(spec.lessons, u + spec.lessons_per_unit)):
            name = f"lessons/{n:04d}-lesson.md"
            media = _write_audio(dest, n, spec.audio_bytes, rng) if spec.audio_bytes else None
            image = images[n % len(images)].name if images and n % 7 == 0 else None
            (dest / name).write_text(lesson_markdown(text, f"lesson-{n:04d}", skill, image, media))
            lessons.append(name)
        practice = f"practice/{unit_id}.yaml"
        (dest / practice).write_text(yaml.safe_dump({"items": _items(text, unit_id, skill)}, sort_keys=False))
        units.append({"id": unit_id, "title": text.title(), "lessons": lessons, "practice": [{"file": practice}]})
    pack = {"format": 1, "id": spec.pack_id, "version": "1.0.0", "title": f"Generated {text.title()}",
            "language": "en", "licence": "CC-BY-4.0", "authors": ["Lantern benchmarks"],
            "description": "A generated library for benchmarks.", "subjects": ["mathematics", "health"],
            "skills": skills, "units": units}
    (dest / "pack.yaml").write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True))
    return dest


def lesson_markdown(text: TextMaker, lesson_id: str, skill: str, image: str | None, media: dict | None) -> str:
    """One lesson: front matter, four sections, a list, a callout, a challenge with a solution."""
    front = {"id": lesson_id, "title": text.title(), "skills": [skill], "summary": text.sentence(),
             "minutes": text.rng.randint(5, 20)}
    if media:
        front["media"] = [media]
    body = []
    for section in range(4):
        body.append(f"## {text.title()}\n")
        body += [text.paragraph() + "\n" for _ in range(text.rng.randint(2, 3))]
        if section == 1 and image:
            body.append(f"![{text.sentence()}](../images/{image})\n")
        if section == 2:
            body.append(f"![{text.sentence()}](../images/diagram.svg)\n")
            body += [f"- {text.sentence()}" for _ in range(3)] + [""]
    body.append(f"::: callout\n### Remember\n\n{text.paragraph()}\n:::\n")
    body.append(f":::::: challenge\n## Try it\n\n{text.paragraph()}\n\n::: solution\n## Solution\n\n"
                f"{text.paragraph()}\n:::\n::::::\n")
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n" + "\n".join(body)


def _items(text: TextMaker, unit_id: str, skill: str) -> list[dict]:
    items = []
    for n in range(4):
        items.append({"id": f"{unit_id}-q{n}", "kind": "single", "skill": skill, "prompt": text.sentence(),
                      "hints": [text.sentence()], "solution": text.sentence(),
                      "answers": [{"text": w, "weight": 1.0 if k == 0 else 0, "feedback": text.sentence()}
                                  for k, w in enumerate(text.topic_words(3))]})
    return items


def _write_image(path: Path, size: tuple[int, int], rng: random.Random) -> Path:
    """A photo-like PNG (noise over gradients: compresses about as badly as a photo)."""
    from PIL import Image

    width, height = size
    noise = Image.frombytes("L", size, rng.randbytes(width * height))
    gradient = Image.linear_gradient("L").resize(size)
    Image.merge("RGB", (noise, gradient, gradient.transpose(Image.Transpose.ROTATE_90).resize(size))).save(path)
    return path


def _write_audio(dest: Path, n: int, size: int, rng: random.Random) -> dict:
    """Random bytes named .ogg (the importer stores audio as it is) and a small caption track."""
    name, captions = f"media/lesson-{n:04d}.ogg", f"media/lesson-{n:04d}.en.vtt"
    (dest / name).write_bytes(rng.randbytes(size))
    cues = "\n".join(f"00:00:{k * 5:02d}.000 --> 00:00:{k * 5 + 4:02d}.000\nLine {k} of lesson {n}.\n"
                     for k in range(6))
    (dest / captions).write_text("WEBVTT\n\n" + cues)
    return {"kind": "audio", "file": f"../{name}", "title": "Listen to this lesson",
            "captions": [{"file": f"../{captions}", "language": "en", "label": "English"}]}


def search_queries(count: int = 40, seed: int = 5) -> list[str]:
    """Queries a learner might type: common and rare words, pairs of words, a few not in any lesson."""
    rng, words = random.Random(seed), vocabulary()
    queries = []
    for n in range(count):
        kind = n % 5
        if kind == 0:
            queries.append(rng.choice(COMMON[:30]))  # matches a great many lessons
        elif kind == 1:
            queries.append(rng.choice(words[200:1500]))
        elif kind == 2:
            queries.append(f"{rng.choice(COMMON)} {rng.choice(words[100:800])}")
        elif kind == 3:
            queries.append(rng.choice(words[1500:]))  # rare
        else:
            queries.append(textwrap.shorten(f"{rng.choice(COMMON)} {rng.choice(COMMON)} zzyzx", 40))
    return queries
