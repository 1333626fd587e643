from __future__ import annotations

import textwrap

import pytest

from traitlens import builtin_taxonomies, load_taxonomy
from traitlens.errors import InputError

REFERENCE = {
    "Openness to Experience": ["Creativity", "Intellectual curiosity", "Aesthetic sensitivity"],
    "Conscientiousness": ["Goal-oriented", "Self-discipline", "Organization"],
    "Extraversion": ["Sociability", "Enthusiasm", "Activity"],
    "Agreeableness": ["Altruism", "Empathy", "Cooperation"],
    "Neuroticism": ["Anxiety", "Emotional instability", "Stress"],
}


def test_bigfive_keywords_is_exactly_the_reference():
    tax = load_taxonomy("bigfive-keywords")
    assert {f.name: f.keywords for f in tax.factors} == REFERENCE
    assert list(REFERENCE) == [f.name for f in tax.factors]
    table = tax.keyword_table()
    assert table.shape == (15, 3)
    assert table["facet"].isna().all()


def test_unknown_builtin_lists_known_names():
    with pytest.raises(InputError, match="unknown taxonomy 'big6'.*bigfive-keywords"):
        load_taxonomy("big6")
    assert "bigfive-keywords" in builtin_taxonomies()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_yaml_with_facets_and_poles(tmp_path):
    path = write(tmp_path, "mine.yaml", """
        name: mine
        factors:
          - name: Conscientiousness
            definition: Organised and dependable.
            high: [I get chores done right away.]
            low: [I leave my belongings around.]
            facets:
              - name: Orderliness
                keywords: [tidiness, order]
          - name: Extraversion
            keywords: [sociability]
    """)
    tax = load_taxonomy(path)
    assert tax.has_facets
    table = tax.keyword_table()
    assert table.to_dict("records")[0] == {"factor": "Conscientiousness", "facet": "Orderliness", "keyword": "tidiness"}
    assert tax.factors[0].high == ["I get chores done right away."]


def test_missing_factor_name_names_file_line_field(tmp_path):
    path = write(tmp_path, "bad.yaml", """
        name: bad
        factors:
          - name: A
            keywords: [x]
          - keywords: [y]
    """)
    with pytest.raises(InputError) as err:
        load_taxonomy(path)
    msg = str(err.value)
    assert str(path) in msg and "line 5" in msg and "factors.1.name" in msg and "missing" in msg


def test_duplicate_keyword_names_place(tmp_path):
    path = write(tmp_path, "dup.yaml", """
        name: dup
        factors:
          - name: A
            keywords: [x, y]
          - name: B
            keywords:
              - z
              - X
    """)
    with pytest.raises(InputError, match=r"line 8, field factors\.1\.keywords\.1: duplicate keyword 'X'"):
        load_taxonomy(path)


def test_wrong_types(tmp_path):
    path = write(tmp_path, "types.yaml", """
        name: t
        factors:
          - name: A
            keywords: 5
    """)
    with pytest.raises(InputError, match=r"line 4, field factors\.0\.keywords: .*list"):
        load_taxonomy(path)
    path = write(tmp_path, "extra.yaml", """
        name: t
        factors:
          - name: A
            keywordz: [x]
    """)
    with pytest.raises(InputError, match=r"line 4, field factors\.0\.keywordz"):
        load_taxonomy(path)


def test_duplicate_construct_and_empty_construct(tmp_path):
    path = write(tmp_path, "twice.yaml", """
        name: t
        factors:
          - name: A
            keywords: [x]
          - name: A
            keywords: [y]
    """)
    with pytest.raises(InputError, match="used twice"):
        load_taxonomy(path)
    path = write(tmp_path, "case.yaml", """
        name: t
        factors:
          - name: Grit
            keywords: [x]
            facets:
              - name: grit
                keywords: [y]
    """)
    with pytest.raises(InputError, match="construct name 'grit' differs from 'Grit' .* only in case"):
        load_taxonomy(path)
    path = write(tmp_path, "empty.yaml", """
        name: t
        factors:
          - name: B
            keywords: [z]
          - name: A
    """)
    with pytest.raises(InputError, match=r"line 5, field factors\.1: construct 'A' has no keywords"):
        load_taxonomy(path)  # the construct's own line (it had been the line of 'factors:')


def test_invalid_yaml_syntax_and_duplicate_keys(tmp_path):
    path = write(tmp_path, "syntax.yaml", "name: t\nfactors: [\n")
    with pytest.raises(InputError, match=r"syntax\.yaml, line \d+, column \d+: invalid YAML"):
        load_taxonomy(path)
    path = write(tmp_path, "dupkey.yaml", "name: t\nname: u\nfactors: []\n")
    with pytest.raises(InputError, match=r"line 2, column 1: duplicate key 'name'"):
        load_taxonomy(path)


def test_csv_taxonomy(tmp_path):
    path = write(tmp_path, "mine.csv", """
        factor,facet,keyword,pole
        Extraversion,,sociability,
        Extraversion,,I am the life of the party.,high
        Conscientiousness,Order,tidiness,
    """)
    tax = load_taxonomy(path)
    assert tax.name == "mine"
    assert tax.factors[0].keywords == ["sociability"] and tax.factors[0].high == ["I am the life of the party."]
    assert tax.factors[1].facets[0].keywords == ["tidiness"]


def test_csv_taxonomy_errors(tmp_path):
    path = write(tmp_path, "a.csv", "factor,keyword\nA,x\n,y\n")
    with pytest.raises(InputError, match=r"a\.csv, line 3, field factor: factor name is empty"):
        load_taxonomy(path)
    path = write(tmp_path, "b.csv", "factor,keyword\nA,x\nB,y,extra\n")
    with pytest.raises(InputError, match=r"b\.csv, line 3, column 3: row has 3 fields but the header has 2"):
        load_taxonomy(path)
    path = write(tmp_path, "c.csv", "factor,word\nA,x\n")
    with pytest.raises(InputError, match=r"missing column 'keyword'"):
        load_taxonomy(path)
    path = write(tmp_path, "e.csv", "factor,keyword,pol\nA,x,high\n")
    with pytest.raises(InputError, match=r"e\.csv, line 1, column 3: unknown column 'pol'"):
        load_taxonomy(path)
    path = write(tmp_path, "d.csv", "factor,keyword\nA,x\nB,X\n")
    with pytest.raises(InputError, match=r"d\.csv, line 3, field factors\.1\.keywords\.0: duplicate keyword"):
        load_taxonomy(path)
    path = write(tmp_path, "e.csv", "factor,keyword,pole\nA,x,middle\n")
    with pytest.raises(InputError, match="pole must be"):
        load_taxonomy(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_taxonomy(tmp_path / "nope.yaml")
