"""The Smithy subset of form type models: syntax, traits, shapes, imports, errors and rendering."""

import pytest

from openzone.catalog.smithy import SmithyError, parse_form_model

CUSTOMER = '''$version: "2"
namespace example.forms
use amazon.datazone#searchable

// A plain comment is ignored.
/// A customer of the shop.
structure CustomerProfileFormType {
    /// The CRM id.
    @required
    @searchable(modes: ["TECHNICAL"])
    customerId: String,
    @amazon.datazone#searchable firstName: String, email: String
    @amazon.datazone#sortable
    @range(min: 0, max: 150)
    age: Integer
    @amazon.datazone#glossaryterm("glossary-123")
    segment: String
    address: Address
    tags: Tags
    tier: Tier
}

structure Address {
    @required @searchable(modes: ["LEXICAL"]) city: String
    @pattern("^[0-9]{5}$") zip: String
}

@length(min: 1, max: 5)
list Tags {
    @length(max: 20)
    member: String
}

enum Tier {
    /// Best customers.
    GOLD
    SILVER = "silver"
}
'''


def parse(source: str, name: str = "X", resolve=None):
    return parse_form_model(name, source, resolve)


def error(source: str, name: str = "X", resolve=None) -> str:
    with pytest.raises(SmithyError) as raised:
        parse(source, name, resolve)
    return str(raised.value)


def test_fields_and_traits():
    model = parse(CUSTOMER, "CustomerProfileFormType")
    assert model.name == "CustomerProfileFormType" and model.namespace == "example.forms"
    assert model.documentation == "A customer of the shop."
    assert list(model.fields) == ["customerId", "firstName", "email", "age", "segment", "address", "tags", "tier"]
    customer = model.fields["customerId"]
    assert (customer.kind, customer.required, customer.searchable, customer.search_modes) == ("String", True, True, ("TECHNICAL",))
    assert customer.documentation == "The CRM id."
    assert model.fields["firstName"].searchable and model.fields["firstName"].search_modes == ()
    assert not model.fields["email"].searchable and not model.fields["email"].required
    age = model.fields["age"]
    assert age.sortable and age.kind == "Integer" and age.constraints == {"range": {"min": 0, "max": 150}}
    assert model.fields["segment"].glossary_id == "glossary-123"


def test_nested_structures_lists_and_enums():
    model = parse(CUSTOMER, "CustomerProfileFormType")
    address = model.fields["address"]
    assert address.kind == "structure" and address.type == "Address"
    assert address.model.fields["city"].required and address.model.fields["city"].search_modes == ("LEXICAL",)
    assert address.model.fields["zip"].constraints == {"pattern": "^[0-9]{5}$"}
    tags = model.fields["tags"]
    assert tags.kind == "list" and tags.constraints == {"length": {"min": 1, "max": 5}}
    assert tags.member.kind == "String" and tags.member.constraints == {"length": {"max": 20}}
    assert model.fields["tier"].kind == "enum" and model.fields["tier"].enum_values == ("GOLD", "silver")


def test_searchable_and_sortable_paths():
    model = parse(CUSTOMER, "CustomerProfileFormType")
    assert model.searchable_paths() == ["customerId", "firstName", "address.city"]
    assert model.sortable_paths() == ["age"]
    columns = parse('''structure X { columns: Cols }
        list Cols { member: Col }
        structure Col { @amazon.datazone#searchable columnName: String, @amazon.datazone#sortable position: Long }''')
    assert columns.searchable_paths() == ["columns.columnName"]
    assert columns.sortable_paths() == ["columns.position"]
    keywords = parse("structure X { keywords: Words }\nlist Words { @amazon.datazone#searchable member: String }")
    assert keywords.searchable_paths() == ["keywords"]  # a list of searchable strings is searched by its own name


def test_minimal_model_without_header_and_commas_or_newlines():
    one_line = parse("structure X { a: String, b: Integer, c: Boolean }")
    newlines = parse("structure X {\n  a: String\n  b: Integer\n  c: Boolean\n}")
    mixed = parse("structure X {\n  a: String,\n  b: Integer c: Boolean,\n}")
    assert one_line == newlines == mixed
    assert [f.kind for f in one_line.fields.values()] == ["String", "Integer", "Boolean"]


def test_every_builtin_type_and_simple_shapes():
    model = parse('''structure X {
        s: String, b: Boolean, i: Integer, l: Long, f: Float, d: Double, t: Timestamp
        bd: BigDecimal, bi: BigInteger, by: Byte, sh: Short, q: smithy.api#String
        email: Email, percent: Percent
    }
    @pattern("@") @length(max: 64) string Email
    @range(min: 0, max: 100) double Percent''')
    kinds = {name: f.kind for name, f in model.fields.items()}
    assert kinds == {"s": "String", "b": "Boolean", "i": "Integer", "l": "Long", "f": "Float", "d": "Double",
                     "t": "Timestamp", "bd": "BigDecimal", "bi": "BigInteger", "by": "Byte", "sh": "Short",
                     "q": "String", "email": "String", "percent": "Double"}
    assert model.fields["email"].constraints == {"length": {"max": 64}, "pattern": "@"}
    assert model.fields["percent"].constraints == {"range": {"min": 0, "max": 100}}


def test_member_trait_overrides_shape_trait():
    model = parse("structure X { @length(max: 3) short: Name, long: Name }\n@length(max: 50) string Name")
    assert model.fields["short"].constraints == {"length": {"max": 3}}
    assert model.fields["long"].constraints == {"length": {"max": 50}}


def test_maps_int_enums_and_smithy1_enum_trait():
    model = parse('''structure X {
        labels: Labels, level: Level
        @enum([{value: "a", name: "A"}, {value: "b"}]) letter: String
    }
    map Labels { key: String, value: Integer }
    intEnum Level { LOW = 1, HIGH = 10 }''')
    labels = model.fields["labels"]
    assert labels.kind == "map" and labels.key.kind == "String" and labels.member.kind == "Integer"
    assert model.fields["level"].kind == "intEnum" and model.fields["level"].enum_values == (1, 10)
    assert model.fields["letter"].enum_values == ("a", "b")


def test_documentation_trait_text_block_and_prelude_ids():
    model = parse('''@smithy.api#documentation("The form.")
    structure X {
        @documentation("""
            Multi-line
            text.""")
        @smithy.api#required
        a: String
    }''')
    assert model.documentation == "The form."
    assert model.fields["a"].documentation == "Multi-line\ntext." and model.fields["a"].required


def test_datazone_namespace_allows_short_datazone_traits():
    model = parse("namespace amazon.datazone\nstructure X { @searchable @sortable n: Integer }")
    assert model.fields["n"].searchable and model.fields["n"].sortable


def test_imports_through_resolve():
    address = parse("structure AddressFormType { @required street: String }", "AddressFormType")
    seen = []

    def resolve(name):
        seen.append(name)
        return address if name == "AddressFormType" else None

    model = parse("structure X { home: AddressFormType, work: AddressFormType }", resolve=resolve)
    assert model.fields["home"].model is address and model.fields["home"].kind == "structure"
    assert model.imports == ("AddressFormType",) and seen == ["AddressFormType"]  # resolved once
    assert model.to_smithy().count("structure") == 1  # imported types are referenced, not copied
    assert "unknown type Missing for member m" in error("structure X { m: Missing }", resolve=resolve)


def test_helper_shapes_are_checked_even_when_unused():
    assert error("structure X { a: String }\nstructure Helper {\n  b: Strng\n}") == \
        "line 3: unknown type Strng for member b"


def test_round_trip():
    model = parse(CUSTOMER, "CustomerProfileFormType")
    text = model.to_smithy()
    again = parse(text, "CustomerProfileFormType")
    assert again == model
    assert again.to_smithy() == text
    assert '@amazon.datazone#searchable(modes: ["TECHNICAL"])' in text and '@documentation("The CRM id.")' in text
    assert 'SILVER = "silver"' in text and "@length(min: 1, max: 5)\nlist Tags" in text
    nested = model.fields["address"].model.to_smithy()  # a helper structure renders on its own
    assert parse(nested, "Address") == model.fields["address"].model


def test_round_trip_of_maps_int_enums_and_simple_shapes():
    source = '''structure X { m: M, e: E, @length(min: 2) s: S }
    map M { key: String, value: S }
    intEnum E { ONE = 1 }
    @pattern("^a") string S'''
    model = parse(source)
    assert parse(model.to_smithy()) == model


@pytest.mark.parametrize("source, message", [
    ("structure X {\n  a: Strng\n}", "line 2: unknown type Strng for member a"),
    ("structure X {\n  @foo a: String\n}", "line 2: unknown trait @foo"),
    ("structure X {\n  @searchable a: String\n}",
     "line 2: unknown trait @searchable (write @amazon.datazone#searchable or add `use amazon.datazone#searchable`)"),
    ("structure Y { a: String }", "line 1: the model must define structure X, named like the form type"),
    ("string X", "line 1: X must be a structure, not String"),
    ('$version: "3"\nstructure X {}', "line 1: unsupported Smithy version '3'"),
    ("$foo: 1", "line 1: unsupported control statement $foo"),
    ('namespace a.b\n$version: "2"', "line 2: $version must be the first statement"),
    ("structure X {\n  a: String;\n}", "line 2: unexpected character ';'"),
    ("structure X {\n  a String\n}", "line 2: expected ':' after member a but found 'String'"),
    ("structure X {\n  a: String", "line 1: structure X is not closed with '}'"),
    ("structure X {}\nstructure X {}", "line 2: shape X is defined twice"),
    ("structure X {\n  a: String\n  a: Integer\n}", "line 3: member a is defined twice in X"),
    ("structure X {}\nunion U { a: String }", "line 2: unsupported shape type union"),
    ("structure X {}\nservice S {}", "line 2: unsupported shape type service"),
    ("structure X with [M] {}", "line 1: mixins and resource bindings are not supported (shape X)"),
    ("structure X {\n  a: String = \"x\"\n}", "line 2: default values are not supported (member a)"),
    ("structure X { a: L }\nlist L {\n  item: String\n}", "line 4: list L must have exactly the members member"),
    ("structure X { a: M }\nmap M {\n  key: Integer, value: String\n}", "line 3: map M key must be a String"),
    ("structure X {}\nintEnum E {\n  A\n}", "line 3: intEnum member A needs an integer value (`A = 1`)"),
    ("structure X {}\nenum E {}", "line 2: enum E has no members"),
    ("structure X {\n  a: Y\n}\nstructure Y {\n  x: X\n}", "line 5: recursive reference to X from member x is not supported"),
    ("structure X { a: L }\nlist L {\n  member: L\n}", "line 3: recursive reference to L from the member of list L"),
    ("structure X { a: L }\nlist L { member: Y }\nstructure Y {\n  back: X\n}",
     "line 4: recursive reference to X from member back"),
    ("structure X {\n  @required(true) a: String\n}", "line 2: trait @required takes no value"),
    ("structure X {\n  @documentation a: String\n}", 'line 2: trait @documentation needs a string value, like @documentation("...")'),
    ("structure X {\n  @pattern(\"[\") a: String\n}", "line 2: trait @pattern has an invalid regular expression"),
    ("structure X {\n  @length(min: 3, max: 1) a: String\n}", "line 2: trait @length has min greater than max"),
    ("structure X {\n  @length(min: -1) a: String\n}", "line 2: trait @length bound -1 must be a non-negative integer"),
    ("structure X {\n  @range(low: 1) a: Integer\n}", "line 2: trait @range needs min and/or max"),
    ("structure X {\n  @amazon.datazone#searchable(modes: [\"FUZZY\"]) a: String\n}",
     "line 2: trait @amazon.datazone#searchable takes an optional (modes: [...]) of LEXICAL, TECHNICAL"),
    ("structure X {\n  @amazon.datazone#glossaryterm a: String\n}", "line 2: trait @amazon.datazone#glossaryterm needs a string value"),
    ("structure X {\n  @enum(\"A\") a: String\n}", "line 2: trait @enum needs a list"),
    ("structure X {\n  @required @required a: String\n}", "line 2: trait @required is applied twice"),
    ("structure X {\n  @range(max: 1) a: String\n}", "line 2: trait @range cannot apply to member a of type String"),
    ("structure X {\n  @pattern(\"a\") a: Integer\n}", "line 2: trait @pattern cannot apply to member a of type Integer"),
    ("structure X {\n  @length(max: 1) a: Integer\n}", "line 2: trait @length cannot apply to member a of type Integer"),
    ("structure X {\n  @amazon.datazone#searchable a: L\n}\nlist L { member: String }",
     "line 2: trait @amazon.datazone#searchable cannot apply to member a of type list"),
    ("structure X {\n  @amazon.datazone#sortable a: Y\n}\nstructure Y {}",
     "line 2: trait @amazon.datazone#sortable cannot apply to member a of type structure"),
    ("structure X {\n  @amazon.datazone#glossaryterm(\"g\") a: Integer\n}",
     "line 2: trait @amazon.datazone#glossaryterm cannot apply to member a of type Integer"),
    ("structure X { a: L }\nlist L {\n  @required member: String\n}",
     "line 3: trait @required cannot apply to the member of list L of type String"),
    ("structure X {}\n@length(max: 1)\nstructure Y {}", "line 2: trait @length cannot apply to the shape Y (structure)"),
    ("structure X {}\nenum E {\n  @required A\n}", "line 3: trait @required cannot apply to enum member A"),
    ("structure X {}\nuse a.b#c", "line 2: use needs an absolute shape id before any shape"),
    ("structure X {}\nnamespace a.b", "line 2: namespace must come once, before any shape"),
    ("metadata foo = 1", "line 1: metadata statements are not supported"),
    ("structure X {\n  @length(min: 1 a: String\n}", "line 2: ( opened here is not closed with ')'"),
    ("structure X {\n  @documentation(\"a\" a: String\n}", "line 2: expected ')' to close the trait but found 'a'"),
    ("structure X {\n  @enum([{value: \"a\"]) a: String\n}", "line 2: { opened here is not closed with '}'"),
])
def test_errors_name_line_and_rule(source, message):
    assert error(source).startswith(message)


def test_glossaryterm_on_a_list_of_strings():
    model = parse('structure X { @amazon.datazone#glossaryterm("g1") terms: Ids }\nlist Ids { member: String }')
    assert model.fields["terms"].glossary_id == "g1"


def test_model_size_limit():
    assert error("structure X {}" + " " * 100_000).startswith("line 1: the model is longer than 100000 characters")
