"""The tree shows the architecture, and imports flow one way (docs/architecture.md draws the same map).

Every import between Lantern's own modules is read from the source (module level and inside functions
alike) and checked against two rules: no cycle between modules, and no import from a lower layer into a
higher one. A function-level import of our own code is allowed only with a comment saying why (a measured
start-up saving, or an optional part), so a newcomer never meets a hidden import."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Lower layers never import higher ones; a layer may import itself and anything below it.
LAYERS = {
    "core": 0,       # server.config, db, errors, ids, i18n, identity, storage, models, migrations; sync.protocol
    "content": 1,    # server.content: packs, quiz formats, library, blobs, search
    "people": 2,     # server.people: accounts, sign-in, classes, school, roster, admin, audit
    "learning": 3,   # server.learning: events, mastery, learner model, practice, review, recommend, profiles
    "coaching": 4,   # server.coaching: reports, item analysis, groups, assignments, projects, hand-ins
    "operations": 5,  # server.device, server.privacy, sync (school and hub sides)
    "web": 6,        # server.web: the delivery layer; sync.hub (a blueprint)
    "entry": 7,      # server (create_app) and server.cli
}
SPECIAL = {"sync.protocol": "core", "sync.hub": "web", "server": "entry", "server.privacy": "operations",
           "server.identity": "core", "server.storage": "core"}
PACKAGE_LAYER = {"content": "content", "people": "people", "learning": "learning", "coaching": "coaching",
                 "device": "operations", "web": "web", "cli": "entry"}


def layer_of(module: str) -> str:
    """The layer a module belongs to, by its place in the tree."""
    if module in SPECIAL:
        return SPECIAL[module]
    parts = module.split(".")
    if parts[0] == "sync":
        return "operations"
    return PACKAGE_LAYER.get(parts[1], "core")


def project_modules() -> dict[str, Path]:
    """Every module of the server and sync packages, by dotted name."""
    found = {}
    for path in sorted([*REPO.glob("server/**/*.py"), *REPO.glob("sync/**/*.py")]):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = project_modules()


def imports_of(name: str, path: Path):
    """(imported module, line, is inside a function) for each import of a project module."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    in_function = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(inner) for inner in ast.walk(node) if inner is not node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                yield target, node.lineno, id(node) in in_function


EDGES = {name: list(imports_of(name, path)) for name, path in MODULES.items()}


def test_the_tree_has_the_packages_the_architecture_describes():
    for package in ("content", "learning", "people", "coaching", "device", "web", "cli"):
        init = REPO / "server" / package / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) if init.exists() else None
        assert doc and "may import" in doc.lower(), f"server/{package}/__init__.py must say what it owns and may import"


def test_no_flat_prefix_modules_are_left_in_server():
    flat = sorted(p.stem for p in (REPO / "server").glob("*.py"))
    assert flat == ["__init__", "config", "db", "errors", "i18n", "identity", "ids", "privacy", "storage"], flat


def test_no_import_cycle_between_project_modules():
    graph = {name: {target for target, _, _ in edges} for name, edges in EDGES.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_imports_flow_from_higher_layers_to_lower_ones():
    wrong = [f"{name}:{line} imports {target} ({layer_of(name)} → {layer_of(target)})"
             for name, edges in EDGES.items() for target, line, _ in edges
             if LAYERS[layer_of(target)] > LAYERS[layer_of(name)]]
    assert wrong == []


def test_a_function_level_import_of_our_own_code_says_why():
    unexplained = []
    for name, edges in EDGES.items():
        source = MODULES[name].read_text()
        if "Imports inside functions:" in (ast.get_docstring(ast.parse(source)) or ""):
            continue  # the module's docstring says why its imports wait
        lines = source.splitlines()
        for _, line, inside in edges:
            if inside and "#" not in lines[line - 1] and "#" not in lines[line - 2]:
                unexplained.append(f"{MODULES[name].relative_to(REPO)}:{line}")
    assert sorted(set(unexplained)) == []


@pytest.mark.parametrize("module, layer", [("server.content.packs.install", "content"), ("sync.hub", "web"),
                                           ("sync.client", "operations"), ("server.errors", "core"),
                                           ("server.cli.commands", "entry"), ("server", "entry")])
def test_layers_are_read_from_the_tree(module, layer):
    assert layer_of(module) == layer
