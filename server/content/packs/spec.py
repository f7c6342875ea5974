"""What every source reader (pack.yaml, Carpentries, quiz bank, cartridge) makes: one `SourceSpec`.

Pack metadata, skills, and units listing lesson files and practice files (paths relative to the
source folder); `server.content.packs.build` turns it into a pack.
"""
from dataclasses import dataclass, field


@dataclass
class PracticeSource:
    file: str
    skill: str | None = None
    format: str | None = None  # yaml | gift | aiken; by default from the suffix, else from the content
    id_prefix: str | None = None  # quiz bank folders: ids are "<file>.<question>" (see practice.py)
    skills_from_categories: bool = False
    skill_title: str | None = None  # declare `skill` with this title when a question uses it


@dataclass
class UnitSource:
    id: str
    title: str
    lessons: list[str]
    practice: list[PracticeSource] = field(default_factory=list)


@dataclass
class SourceSpec:
    meta: dict  # format, id, version, title, language, licence, authors, description, subjects
    skills: list[dict]
    units: list[UnitSource]
    warnings: list[str] = field(default_factory=list)
    report: list[dict] = field(default_factory=list)  # rows a reader adds itself (see report.py)
    is_carpentries: bool = False  # episodes are rewritten as the lesson site shows them (carpentries.py)
