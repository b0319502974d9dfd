"""The Smithy IDL subset that DataZone form types are written in: parse a model, resolve it, render it back.

Pure and dependency-free. `parse_form_model` turns a form type's `model.smithy` into a `FormModel`
whose fields carry the DataZone traits (searchable, sortable, glossary term) and the validation
constraints that `form_content` enforces. Every error is a `SmithyError` naming the line and the rule.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_MODEL_CHARS = 100_000  # CreateFormType's limit on model.smithy
SMITHY_VERSIONS = {"1", "1.0", "2", "2.0"}
BUILTINS = {"String", "Boolean", "Byte", "Short", "Integer", "Long", "Float", "Double",
            "BigInteger", "BigDecimal", "Timestamp"}
NUMERIC = {"Byte", "Short", "Integer", "Long", "Float", "Double", "BigInteger", "BigDecimal"}
SIMPLE_SHAPES = {name.lower(): name for name in BUILTINS} | {"bigInteger": "BigInteger", "bigDecimal": "BigDecimal"}
AGGREGATES = {"structure", "list", "map", "enum", "intEnum"}
PRELUDE_TRAITS = {"required", "documentation", "length", "range", "pattern", "enum", "sensitive", "deprecated"}
DATAZONE_TRAITS = {"searchable", "sortable", "glossaryterm"}
SEARCH_MODES = {"LEXICAL", "TECHNICAL"}
DZ = "amazon.datazone"


class SmithyError(ValueError):
    """A model that is not valid Smithy, or uses Smithy that openzone does not support."""


def _fail(line: int, message: str):
    raise SmithyError(f"line {line}: {message}")


# ---------------------------------------------------------------- model


@dataclass
class Field:
    """One member of a structure (or the item of a list, the key/value of a map), fully resolved."""

    name: str
    type: str  # the target as referenced in the model: "String", "ColumnList", "Address"
    kind: str  # the base: a builtin name, or "structure", "list", "map", "enum", "intEnum"
    required: bool = False
    searchable: bool = False
    search_modes: tuple[str, ...] = ()
    sortable: bool = False
    glossary_id: str | None = None
    documentation: str | None = None
    constraints: dict = field(default_factory=dict)  # "length"/"range": {min, max}; "pattern": str
    enum_values: tuple = ()  # allowed wire values of enum, intEnum and @enum strings
    model: FormModel | None = None  # the nested structure
    member: Field | None = None  # the list item, or the map value
    key: Field | None = None  # the map key
    line: int = field(default=0, compare=False)


@dataclass
class FormModel:
    """A resolved structure: the form type itself, a helper structure, or an imported form type."""

    name: str
    fields: dict[str, Field]
    documentation: str | None = None
    namespace: str | None = None
    imports: tuple[str, ...] = ()  # form types this model refers to through `resolve`
    _doc: _Document | None = field(default=None, compare=False, repr=False)

    def searchable_paths(self) -> list[str]:
        """Dotted paths of the fields annotated @amazon.datazone#searchable, nested ones included."""
        return _paths(self, lambda f: f.searchable, "")

    def sortable_paths(self) -> list[str]:
        """Dotted paths of the fields annotated @amazon.datazone#sortable, nested ones included."""
        return _paths(self, lambda f: f.sortable, "")

    def to_smithy(self) -> str:
        """Render this structure and the local shapes it uses back to Smithy IDL 2."""
        if self._doc is None:  # only parsed models carry the shapes they were written with
            raise SmithyError(f"line 1: model {self.name} was not parsed from Smithy and cannot be rendered")
        return _render(self._doc, self.name)


def _paths(model: FormModel, wanted, prefix: str) -> list[str]:
    found = []
    for f in model.fields.values():
        path = prefix + f.name
        item = f.member if f.kind == "list" else f  # a list's path is the list's own name
        if wanted(f) or (item is not f and wanted(item)):
            found.append(path)
        if item.model is not None:
            found += _paths(item.model, wanted, path + ".")
    return found  # map values are not walked: their keys are data, not paths


# ---------------------------------------------------------------- lexer

_TOKEN = re.compile(r'''
    (?P<doc>///[^\n]*) | (?P<comment>//[^\n]*) | (?P<space>[ \t\r\n,]+)
  | (?P<block>"""[\s\S]*?""") | (?P<text>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\#[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<punct>[{}()\[\]:=@])
''', re.X)


@dataclass
class _Token:
    kind: str  # ident, text, number, punct, eof
    value: object
    line: int
    doc: str | None = None  # the /// comment lines just before this token


def _lex(source: str) -> list[_Token]:
    tokens, docs, line, pos = [], [], 1, 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            _fail(line, f"unexpected character {source[pos]!r}")
        kind, raw = match.lastgroup, match.group()
        if kind == "doc":
            docs.append(raw[3:].strip())
        elif kind in ("text", "block", "number", "ident", "punct"):
            if kind == "text":
                value = json.loads(raw)  # Smithy string escapes are JSON's
            elif kind == "block":
                kind, value = "text", textwrap.dedent(raw[3:-3].removeprefix("\n")).replace('\\"', '"')
            elif kind == "number":
                value = float(raw) if any(c in raw for c in ".eE") else int(raw)
            else:
                value = raw
            tokens.append(_Token(kind, value, line, "\n".join(docs) if docs else None))
            docs = []
        line += raw.count("\n")
        pos = match.end()
    tokens.append(_Token("eof", None, line))
    return tokens


# ---------------------------------------------------------------- parser (text -> shapes)


@dataclass
class _Trait:
    name: str  # canonical: "required", "length", ... (DataZone traits by their short name)
    value: object  # None for a trait without a value
    line: int


@dataclass
class _Member:
    name: str
    target: str | None  # None for enum members
    traits: dict[str, _Trait]
    line: int
    value: object = None  # enum member value


@dataclass
class _Shape:
    kind: str  # structure, list, map, enum, intEnum, or a builtin name for `string Email`
    name: str
    traits: dict[str, _Trait]
    members: list[_Member]
    line: int


@dataclass
class _Document:
    version: str | None = None
    namespace: str | None = None
    uses: dict[str, str] = field(default_factory=dict)  # short name -> absolute shape id
    shapes: dict[str, _Shape] = field(default_factory=dict)


class _Parser:
    def __init__(self, source: str):
        self.tokens, self.i = _lex(source), 0
        self.doc = _Document()

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        token = self.peek()
        self.i += 1
        return token

    def at(self, value) -> bool:
        token = self.peek()
        return token.kind in ("punct", "ident") and token.value == value

    def expect(self, kind: str, what: str, value=None) -> _Token:
        token = self.next()
        if token.kind != kind or (value is not None and token.value != value):
            found = "end of model" if token.kind == "eof" else repr(token.value)
            _fail(token.line, f"expected {what} but found {found}")
        return token

    def parse(self) -> _Document:
        if self.at("$version"):
            line = self.next().line
            self.expect("punct", "':' after $version", ":")
            version = self.expect("text", "a quoted version after $version:").value
            if version not in SMITHY_VERSIONS:
                _fail(line, f"unsupported Smithy version {version!r} (use \"2\")")
            self.doc.version = version
        while self.peek().kind != "eof":
            token = self.peek()
            if token.kind == "ident" and str(token.value).startswith("$"):
                _fail(token.line, "$version must be the first statement" if token.value == "$version"
                      else f"unsupported control statement {token.value}")
            if self.at("namespace") and self.peek(1).kind == "ident":
                if self.doc.namespace or self.doc.shapes:
                    _fail(token.line, "namespace must come once, before any shape")
                self.next()
                self.doc.namespace = self.expect("ident", "a namespace").value
            elif self.at("use") and self.peek(1).kind == "ident":
                self.next()
                target = self.expect("ident", "an absolute shape id after use").value
                if "#" not in target or self.doc.shapes:
                    _fail(token.line, f"use needs an absolute shape id before any shape, got {target}")
                self.doc.uses[target.split("#")[1]] = target
            elif token.kind == "ident" and token.value in ("metadata", "apply"):
                _fail(token.line, f"{token.value} statements are not supported")
            else:
                self.shape()
        return self.doc

    def traits(self) -> dict[str, _Trait]:
        traits: dict[str, _Trait] = {}
        while self.at("@"):
            line = self.next().line
            raw = self.expect("ident", "a trait name after @").value
            value = None
            if self.at("("):
                open_line = self.next().line
                if self.at(")"):
                    value = {}
                elif self.peek().kind in ("ident", "text") and (self.peek(1).kind, self.peek(1).value) == ("punct", ":"):
                    value = self.object_body(")", open_line)
                else:
                    value = self.node()
                self.expect("punct", "')' to close the trait", ")")
            name = self.trait_name(raw, line)
            if name in traits:
                _fail(line, f"trait @{raw} is applied twice")
            traits[name] = _check_trait_value(_Trait(name, value, line), raw)
        return traits

    def trait_name(self, raw: str, line: int) -> str:
        raw = self.doc.uses.get(raw, raw)
        namespace, _, short = raw.rpartition("#")
        if not namespace and raw in PRELUDE_TRAITS:
            return raw
        if not namespace and raw in DATAZONE_TRAITS and self.doc.namespace == DZ:
            return raw
        if (namespace == "smithy.api" and short in PRELUDE_TRAITS) or (namespace == DZ and short in DATAZONE_TRAITS):
            return short
        hint = f" (write @{DZ}#{raw} or add `use {DZ}#{raw}`)" if raw in DATAZONE_TRAITS else ""
        _fail(line, f"unknown trait @{raw}{hint}")

    def node(self):
        token = self.next()
        if token.kind in ("text", "number"):
            return token.value
        if token.kind == "ident":
            return {"true": True, "false": False, "null": None}.get(token.value, token.value)
        if token.value == "[":
            items = []
            while not self.at("]"):
                if self.peek().kind == "eof":
                    _fail(token.line, "unclosed '['")
                items.append(self.node())
            self.next()
            return items
        if token.value == "{":
            value = self.object_body("}", token.line)
            self.next()
            return value
        _fail(token.line, f"expected a value but found {token.value!r}")

    def object_body(self, close: str, open_line: int) -> dict:
        """Key: value pairs up to (not including) `close`."""
        result = {}
        while not self.at(close):
            if self.peek().kind == "eof" or (self.peek().kind == "punct" and self.peek().value in ")]}"):
                _fail(open_line, f"{'(' if close == ')' else '{'} opened here is not closed with {close!r}")
            key = self.next()
            if key.kind not in ("ident", "text"):
                _fail(key.line, f"expected a key or {close!r} but found {key.value!r}")
            self.expect("punct", f"':' after {key.value}", ":")
            result[key.value] = self.node()
        return result

    def shape(self):
        doc = self.peek().doc  # /// comments sit before the shape's traits
        traits = self.traits()
        token = self.expect("ident", "a shape definition")
        kind = SIMPLE_SHAPES.get(token.value, token.value)
        if kind not in AGGREGATES and kind not in BUILTINS:
            _fail(token.line, f"unsupported shape type {token.value} (supported: structure, list, map, enum, "
                              f"intEnum and simple types)")
        name = self.expect("ident", f"a name after {token.value}").value
        if "#" in name or "." in name:
            _fail(token.line, f"shape name {name} must be a plain identifier")
        if name in self.doc.shapes:
            _fail(token.line, f"shape {name} is defined twice")
        if self.at("with") or self.at("for"):
            _fail(token.line, f"mixins and resource bindings are not supported (shape {name})")
        if "documentation" not in traits and (doc or token.doc):
            traits["documentation"] = _Trait("documentation", doc or token.doc, token.line)
        members = self.members(kind, name) if kind in AGGREGATES else []
        self.doc.shapes[name] = _Shape(kind, name, traits, members, token.line)

    def members(self, kind: str, shape: str) -> list[_Member]:
        open_ = self.expect("punct", f"'{{' after {kind} {shape}", "{")
        members: list[_Member] = []
        while not self.at("}"):
            if self.peek().kind == "eof":
                _fail(open_.line, f"{kind} {shape} is not closed with '}}'")
            doc = self.peek().doc
            traits = self.traits()
            token = self.expect("ident", f"a member name in {kind} {shape}")
            name, target, value = token.value, None, None
            doc = doc or token.doc
            if any(m.name == name for m in members):
                _fail(token.line, f"member {name} is defined twice in {shape}")
            if kind in ("enum", "intEnum"):
                if self.at("="):
                    self.next()
                    value = self.node()
                if kind == "intEnum" and not isinstance(value, int):
                    _fail(token.line, f"intEnum member {name} needs an integer value (`{name} = 1`)")
                if kind == "enum" and not isinstance(value, str | None):
                    _fail(token.line, f"enum member {name} value must be a string")
                value = name if value is None else value
            else:
                if name.startswith("$"):
                    _fail(token.line, f"target elision ({name}) is not supported")
                self.expect("punct", f"':' after member {name}", ":")
                target = self.expect("ident", f"a type for member {name}").value
                if self.at("="):
                    _fail(token.line, f"default values are not supported (member {name})")
            if "documentation" not in traits and doc:
                traits["documentation"] = _Trait("documentation", doc, token.line)
            members.append(_Member(name, target, traits, token.line, value))
        close = self.next()
        expected = {"list": ["member"], "map": ["key", "value"]}.get(kind)
        if expected and sorted(m.name for m in members) != expected:
            _fail(close.line, f"{kind} {shape} must have exactly the members {' and '.join(expected)}")
        if kind in ("enum", "intEnum") and not members:
            _fail(open_.line, f"{kind} {shape} has no members")
        return members


def _check_trait_value(trait: _Trait, raw: str) -> _Trait:
    """The value each trait takes; a wrong one is an error on the trait's line."""
    name, value, line = trait.name, trait.value, trait.line
    if name in ("required", "sensitive", "sortable") and value not in (None, {}):
        _fail(line, f"trait @{raw} takes no value")
    if name in ("documentation", "pattern", "glossaryterm") and not isinstance(value, str):
        _fail(line, f"trait @{raw} needs a string value, like @{raw}(\"...\")")
    if name == "pattern":
        try:
            re.compile(value)
        except re.error as error:
            _fail(line, f"trait @pattern has an invalid regular expression: {error}")
    if name in ("length", "range"):
        if not isinstance(value, dict) or not value or set(value) - {"min", "max"}:
            _fail(line, f"trait @{raw} needs min and/or max, like @{raw}(min: 1, max: 10)")
        wanted = "non-negative integer" if name == "length" else "number"
        for bound in value.values():
            if isinstance(bound, bool) or not isinstance(bound, int | float) or (name == "length" and (
                    not isinstance(bound, int) or bound < 0)):
                _fail(line, f"trait @{raw} bound {bound!r} must be a {wanted}")
        if value.get("min", 0) > value.get("max", float("inf")):
            _fail(line, f"trait @{raw} has min greater than max")
    if name == "searchable":
        modes = value.get("modes") if isinstance(value, dict) else None
        if value not in (None, {}) and not (isinstance(value, dict) and set(value) == {"modes"}
                                            and isinstance(modes, list) and modes
                                            and all(isinstance(m, str) and m in SEARCH_MODES for m in modes)):
            _fail(line, f"trait @{raw} takes an optional (modes: [...]) of {', '.join(sorted(SEARCH_MODES))}")
    if name == "enum" and (not isinstance(value, list) or not value or not all(
            isinstance(item, dict) and isinstance(item.get("value"), str) for item in value)):
        _fail(line, "trait @enum needs a list like @enum([{value: \"A\"}, {value: \"B\"}])")
    if name == "deprecated" and not isinstance(value, dict | None):
        _fail(line, "trait @deprecated takes (message: \"...\", since: \"...\")")
    return trait


# ---------------------------------------------------------------- resolver (shapes -> FormModel)

Resolve = Callable[[str], "FormModel | None"]


class _Resolver:
    def __init__(self, doc: _Document, resolve: Resolve | None):
        self.doc, self.resolve = doc, resolve or (lambda name: None)
        self.built: dict[str, FormModel] = {}
        self.building: list[str] = []
        self.imports: dict[str, FormModel] = {}

    def structure(self, shape: _Shape) -> FormModel:
        if shape.name in self.built:
            return self.built[shape.name]
        self.building.append(shape.name)
        _check_shape_traits(shape)
        fields = {m.name: self.field(m, f"member {m.name}", shape) for m in shape.members}
        self.building.pop()
        doc = shape.traits.get("documentation")
        model = FormModel(shape.name, fields, doc.value if doc else None, self.doc.namespace, (), self.doc)
        self.built[shape.name] = model
        return model

    def target(self, ref: str, line: int, what: str):
        """(local shape or None, base kind, imported model or None) for a member's target."""
        name = self.doc.uses.get(ref, ref)
        namespace, _, short = name.rpartition("#")
        if namespace == "smithy.api" and short in BUILTINS:
            return None, short, None
        if namespace in ("", self.doc.namespace) and short in self.doc.shapes:
            shape = self.doc.shapes[short]
            return shape, shape.kind, None
        if not namespace and short in BUILTINS:
            return None, short, None
        imported = self.imports.get(short) or self.resolve(short)
        if imported is None:
            _fail(line, f"unknown type {ref} for {what}")
        self.imports[short] = imported
        return None, "structure", imported

    def field(self, member: _Member, what: str, owner: _Shape) -> Field:
        shape, kind, imported = self.target(member.target, member.line, what)
        if shape is not None and shape.name in self.building:
            _fail(member.line, f"recursive reference to {shape.name} from {what} is not supported")
        f = Field(member.name, member.target, kind, line=member.line)
        traits = dict(shape.traits) if shape is not None and kind in BUILTINS | {"list", "map"} else {}
        traits.pop("documentation", None)  # a shape's documentation describes the shape, not this member
        traits.update(member.traits)
        _check_member_traits(traits, kind, shape, owner, what)
        if shape is not None:
            _check_shape_traits(shape)
        f.required = "required" in traits
        f.sortable = "sortable" in traits
        if "searchable" in traits:
            f.searchable, f.search_modes = True, tuple((traits["searchable"].value or {}).get("modes", ()))
        if "glossaryterm" in traits:
            f.glossary_id = traits["glossaryterm"].value
        if "documentation" in traits:
            f.documentation = traits["documentation"].value
        f.constraints = {k: traits[k].value for k in ("length", "range", "pattern") if k in traits}
        if "enum" in traits:
            f.enum_values = tuple(item["value"] for item in traits["enum"].value)
        if imported is not None:
            f.model = imported
        elif kind == "structure":
            f.model = self.structure(shape)
        elif kind in ("enum", "intEnum"):
            f.enum_values = tuple(m.value for m in shape.members)
        elif kind in ("list", "map"):
            self.building.append(shape.name)  # a list may not contain itself either
            if kind == "list":
                f.member = self.field(shape.members[0], f"the member of list {shape.name}", shape)
            else:
                members = {m.name: m for m in shape.members}
                f.key = self.field(members["key"], f"the key of map {shape.name}", shape)
                if f.key.kind != "String":
                    _fail(members["key"].line, f"map {shape.name} key must be a String")
                f.member = self.field(members["value"], f"the value of map {shape.name}", shape)
            self.building.pop()
        return f


def _check_member_traits(traits: dict[str, _Trait], kind: str, shape: _Shape | None, owner: _Shape, what: str):
    """Each trait applies to some kinds of member only; say which when it is misplaced."""
    string = kind == "String"
    scalar = kind in BUILTINS or kind in ("enum", "intEnum")
    allowed = {
        "length": string or kind in ("list", "map"), "range": kind in NUMERIC, "pattern": string, "enum": string,
        "searchable": scalar, "sortable": scalar, "required": owner.kind == "structure",
        "glossaryterm": string or (kind == "list" and shape is not None and
                                   shape.members[0].target in ("String", "smithy.api#String")),
    }
    for name, trait in traits.items():
        if not allowed.get(name, True):
            prefix = f"@{DZ}#" if name in DATAZONE_TRAITS else "@"
            _fail(trait.line, f"trait {prefix}{name} cannot apply to {what} of type {kind}")


def _check_shape_traits(shape: _Shape):
    """Shape-level traits: documentation everywhere; constraints only on the shapes they constrain."""
    for name, trait in shape.traits.items():
        ok = {"length": shape.kind in ("String", "list", "map"), "range": shape.kind in NUMERIC,
              "pattern": shape.kind == "String", "enum": shape.kind == "String"}.get(
            name, name in ("documentation", "deprecated", "sensitive"))
        if not ok:
            _fail(trait.line, f"trait @{name} cannot apply to the shape {shape.name} ({shape.kind}); "
                              f"put it on a member")
    for member in shape.members if shape.kind in ("enum", "intEnum") else ():
        for name, trait in member.traits.items():
            if name not in ("documentation", "deprecated"):
                _fail(trait.line, f"trait @{name} cannot apply to {shape.kind} member {member.name}")


def parse_smithy(source: str) -> _Document:
    """Parse Smithy IDL into its shapes, without resolving member types."""
    if len(source) > MAX_MODEL_CHARS:
        _fail(1, f"the model is longer than {MAX_MODEL_CHARS} characters")
    return _Parser(source).parse()


def parse_form_model(type_name: str, smithy: str, resolve: Resolve | None = None) -> FormModel:
    """The FormModel of form type `type_name` from its Smithy model; `resolve(name)` supplies imported form types."""
    doc = parse_smithy(smithy)
    root = doc.shapes.get(type_name)
    if root is None:
        _fail(1, f"the model must define structure {type_name}, named like the form type")
    if root.kind != "structure":
        _fail(root.line, f"{type_name} must be a structure, not {root.kind}")
    resolver = _Resolver(doc, resolve)
    model = resolver.structure(root)
    for shape in doc.shapes.values():  # helper shapes the form does not use are still checked
        if shape.kind == "structure":
            resolver.structure(shape)
        else:
            holder = _Shape("structure", shape.name, {}, [], shape.line)
            resolver.field(_Member("value", shape.name, {}, shape.line), f"shape {shape.name}", holder)
    model.imports = tuple(sorted(resolver.imports))
    return model


# ---------------------------------------------------------------- renderer (FormModel -> text)


def _literal(value) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _render_traits(traits: dict[str, _Trait], indent: str) -> list[str]:
    lines = []
    for name, trait in traits.items():
        text = f"@{DZ}#{name}" if name in DATAZONE_TRAITS else f"@{name}"
        if isinstance(trait.value, dict) and trait.value:
            text += "(" + ", ".join(f"{k}: {_literal(v)}" for k, v in trait.value.items()) + ")"
        elif trait.value is not None and trait.value != {}:
            text += f"({_literal(trait.value)})"
        lines.append(indent + text)
    return lines


def _render(doc: _Document, root: str) -> str:
    order, queue = [], [root]
    while queue:  # the root, then the local shapes it reaches, in order of first use
        name = queue.pop(0)
        if name in order or name not in doc.shapes:
            continue
        order.append(name)
        queue += [doc.uses.get(m.target, m.target).rpartition("#")[2] for m in doc.shapes[name].members if m.target]
    lines = ['$version: "2"']
    if doc.namespace:
        lines.append(f"namespace {doc.namespace}")
    lines += [f"use {target}" for target in doc.uses.values()]
    for name in order:
        shape = doc.shapes[name]
        keyword = next((k for k, v in SIMPLE_SHAPES.items() if v == shape.kind), shape.kind)
        lines += [""] + _render_traits(shape.traits, "")
        if shape.kind not in AGGREGATES:
            lines.append(f"{keyword} {name}")
            continue
        lines.append(f"{keyword} {name} {{")
        for m in shape.members:
            lines += _render_traits(m.traits, "    ")
            if shape.kind == "enum":
                lines.append(f"    {m.name}" + ("" if m.value == m.name else f" = {_literal(m.value)}"))
            elif shape.kind == "intEnum":
                lines.append(f"    {m.name} = {m.value}")
            else:
                lines.append(f"    {m.name}: {m.target}")
        lines.append("}")
    return "\n".join(lines) + "\n"

