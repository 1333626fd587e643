from __future__ import annotations

import re
import textwrap
import warnings

import pandas as pd
import pytest

import traitlens
from traitlens import load_taxonomy
from traitlens.constructs.inventory import Inventory, Membership, builtin_inventories, load_inventory
from traitlens.errors import InputError

BIG_FIVE = ["Openness", "Conscientiousness", "Extraversion", "Agreeableness", "Neuroticism"]
FACETS = {
    "Neuroticism": ["Anxiety", "Anger", "Depression", "Self-Consciousness", "Immoderation", "Vulnerability"],
    "Extraversion": ["Friendliness", "Gregariousness", "Assertiveness", "Activity Level", "Excitement-Seeking",
                     "Cheerfulness"],
    "Openness": ["Imagination", "Artistic Interests", "Emotionality", "Adventurousness", "Intellect", "Liberalism"],
    "Agreeableness": ["Trust", "Morality", "Altruism", "Cooperation", "Modesty", "Sympathy"],
    "Conscientiousness": ["Self-Efficacy", "Orderliness", "Dutifulness", "Achievement-Striving", "Self-Discipline",
                          "Cautiousness"],
}
COUNTS = {"ipip50": 50, "bfi": 25, "ipip-neo-120": 120, "ipip-neo-300": 300, "spi135": 135, "adjectives100": 100}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# --- built-in inventories ------------------------------------------------------------------------------------------

def test_builtins_are_listed_and_exported():
    assert builtin_inventories() == sorted(COUNTS)
    assert traitlens.load_inventory is load_inventory and traitlens.Inventory is Inventory  # the public names
    assert {"Inventory", "load_inventory", "builtin_inventories"} <= set(traitlens.__all__)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_builtin_counts_and_shape(name):
    inv = load_inventory(name)
    assert inv.name == name and inv.description and inv.source and inv.licence
    items = inv.items
    assert list(items.columns) == ["item", "text", "factor", "factor_key", "facet", "facet_key"]
    assert len(items) == COUNTS[name] == len(inv.texts) and items["item"].is_unique
    assert inv.texts == items["text"].tolist()
    assert list(inv.frame.columns) == ["item", "text", "scale", "key", "level"]
    assert set(inv.frame["key"]) == {1, -1}
    factors = inv.scales("factor")
    assert sorted(factors["scale"]) == sorted(BIG_FIVE)
    assert set(items["factor"].dropna()) <= set(BIG_FIVE)


def test_ipip50_keys_follow_the_named_factor():
    inv = load_inventory("ipip50")
    items = inv.items.set_index("item")
    assert items.loc["N1", "text"] == "I get stressed out easily."
    assert items.loc["N1", "factor"] == "Neuroticism" and items.loc["N1", "factor_key"] == 1
    assert items.loc["N2", "text"] == "I am relaxed most of the time." and items.loc["N2", "factor_key"] == -1
    assert items.loc["E2", "factor_key"] == -1 and items.loc["O10", "factor"] == "Openness"
    assert inv.scales()["n_items"].tolist() == [10] * 5
    assert items["facet"].isna().all()


def test_ipip50_matches_shared_keys_not_official(shared_data):
    source = pd.read_csv(shared_data / "openpsychometrics_big5_2012" / "ipip50_items_keys.csv")
    items = load_inventory("ipip50").items
    assert items["item"].tolist() == source["item_big5_2012"].tolist()
    assert items["text"].tolist() == source["text"].tolist()
    assert items["factor_key"].astype(int).tolist() == source["key"].tolist()
    n = source["factor"] == "Neuroticism"
    assert (source.loc[n, "key"] == -source.loc[n, "key_ipip_official"]).all()  # the keying trap
    columns = pd.read_csv(shared_data / "openpsychometrics_big5_2012" / "data.csv", sep="\t", nrows=1).columns
    assert set(items["item"]) <= set(columns)


def test_bfi(shared_data):
    inv = load_inventory("bfi")
    reversed_ = sorted(inv.frame.loc[inv.frame["key"] == -1, "item"])
    assert reversed_ == ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
    assert inv.items.set_index("item").loc["N5", "text"] == "Panic easily."
    assert inv.scales("facet").empty
    columns = pd.read_csv(shared_data / "psych_bfi" / "bfi.csv", nrows=1).columns
    assert set(inv.items["item"]) <= set(columns)


@pytest.mark.parametrize(("name", "per_facet", "plus", "minus"), [("ipip-neo-120", 4, 65, 55),
                                                                    ("ipip-neo-300", 10, 152, 148)])
def test_ipip_neo(name, per_facet, plus, minus, shared_data):
    inv = load_inventory(name)
    facets = inv.scales("facet")
    assert len(facets) == 30 and set(facets["n_items"]) == {per_facet}
    assert sorted(facets["scale"]) == sorted(f for fs in FACETS.values() for f in fs)
    items = inv.items
    assert items["item"].tolist() == [str(i) for i in range(1, len(items) + 1)]
    assert (items["factor_key"] == items["facet_key"]).all()
    assert (items["factor_key"] == 1).sum() == plus and (items["factor_key"] == -1).sum() == minus
    for factor, names in FACETS.items():
        assert set(items.loc[items["factor"] == factor, "facet"]) == set(names)
    n = 120 if name.endswith("120") else 300
    source = pd.read_csv(shared_data / f"ipip_neo_{n}" / f"ipip_neo_{n}_items_keys.csv")
    assert items["text"].tolist() == source["text"].tolist()
    assert items["facet"].tolist() == source["facet_name"].tolist()
    assert items["facet_key"].astype(int).tolist() == source["key"].tolist()
    first = items.iloc[0]
    assert (first["text"].rstrip("."), first["factor"], first["facet"], first["facet_key"]) == (
        "Worry about things", "Neuroticism", "Anxiety", 1)


def test_spi135(shared_data):
    inv = load_inventory("spi135")
    items = inv.items.set_index("item")
    assert items["factor"].notna().sum() == 70
    assert inv.scales("factor")["n_items"].tolist() == [14] * 5
    narrow = inv.scales("scale")
    assert len(narrow) == 27 and set(narrow["n_items"]) == {5}
    # q_578 "Dislike myself." is +1 for Neuroticism but -1 for WellBeing
    assert items.loc["q_578", "text"] == "Dislike myself." and items.loc["q_578", "factor_key"] == 1
    assert inv.keys("WellBeing")["q_578"] == -1 and inv.keys("Neuroticism")["q_578"] == 1
    assert pd.isna(items.loc["q_952", "factor"]) and inv.keys("Irritability")["q_952"] == 1
    long = pd.read_csv(shared_data / "sapa_spi135" / "spi_keys_long.csv")
    assert len(inv.frame) == len(long) == 205
    codes = {"Agree": "Agreeableness", "Consc": "Conscientiousness", "Extra": "Extraversion",
             "Neuro": "Neuroticism", "Open": "Openness"}
    expected = {(r.item, codes.get(r.scale, r.scale)): r.key for r in long.itertuples()}
    got = {(r.item, r.scale): r.key for r in inv.frame.itertuples()}
    assert got == expected
    columns = pd.read_csv(shared_data / "sapa_spi135" / "spi.csv", nrows=1).columns
    assert inv.items["item"].tolist() == [c for c in columns if c.startswith("q_")]


def test_adjectives100(shared_data):
    inv = load_inventory("adjectives100")
    assert inv.scales()["n_items"].tolist() == [20] * 5
    items = inv.items.set_index("item")
    assert inv.items["item"].tolist() == [f"V{i}" for i in range(1, 101)]
    assert (items.loc["V11", "text"], items.loc["V11", "factor"], items.loc["V11", "factor_key"]) == (
        "Cold", "Agreeableness", -1)
    source = pd.read_csv(shared_data / "goldberg_big5_100_adjectives" / "adjectives_keys.csv").set_index("item")
    assert (items.loc[source.index, "text"] == source["adjective"]).all()
    assert (items.loc[source.index, "factor_key"].astype(int) == source["key"]).all()


def test_keys_and_scales_api():
    inv = load_inventory("ipip50")
    keys = inv.keys("Extraversion")
    assert keys.name == "Extraversion" and keys.index.name == "item"
    assert keys.index.tolist() == [f"E{i}" for i in range(1, 11)]
    assert keys.tolist() == [1, -1, 1, -1, 1, -1, 1, -1, 1, -1]
    with pytest.raises(InputError, match="no scale 'Extra'.*Extraversion"):
        inv.keys("Extra")
    with pytest.raises(InputError, match="level must be one of"):
        inv.scales("domain")
    assert inv.fingerprint == load_inventory("ipip50").fingerprint != load_inventory("bfi").fingerprint


def test_unknown_builtin_lists_names():
    with pytest.raises(InputError, match="unknown inventory 'ipip51'.*adjectives100.*spi135"):
        load_inventory("ipip51")


# --- bigfive / bigfive-facets taxonomies -----------------------------------------------------------------------------

def _constructs(tax):
    for factor in tax.factors:
        yield factor
        yield from factor.facets


def test_bigfive_taxonomy():
    tax = load_taxonomy("bigfive")
    assert [f.name for f in tax.factors] == BIG_FIVE
    assert tax.factors[0].label == "Openness to Experience"
    for c in _constructs(tax):
        assert c.definition and 4 <= len(c.high) <= 6 and 4 <= len(c.low) <= 6


def test_bigfive_facets_taxonomy(shared_data):
    tax = load_taxonomy("bigfive-facets")
    assert sorted(f.name for f in tax.factors) == sorted(BIG_FIVE)
    assert {f.name: [x.name for x in f.facets] for f in tax.factors} == FACETS
    for c in _constructs(tax):
        assert c.definition and c.label and len(c.high) >= 2 and len(c.low) >= 2
    for facet in (x for f in tax.factors for x in f.facets):
        assert 2 <= len(facet.high) <= 4 and 2 <= len(facet.low) <= 4
    source = pd.read_csv(shared_data / "ipip_neo_300" / "ipip_neo_300_items_keys.csv")
    pairs = set(zip(source["domain_name"], source["facet_name"], strict=True))
    assert pairs == {(f.name, x.name) for f in tax.factors for x in f.facets}
    assert len(tax.keyword_table()) == 60


def _norm(text: str) -> str:
    words = re.sub(r"[^\w\s]", "", text.casefold()).split()
    return " ".join(words[1:] if words[:1] == ["i"] else words)


def _descriptors():
    for name in ("bigfive", "bigfive-facets"):
        for c in _constructs(load_taxonomy(name)):
            yield from c.high
            yield from c.low
            yield from c.keywords


def test_descriptors_are_not_inventory_items():
    items = {_norm(t) for name in builtin_inventories() for t in load_inventory(name).texts}
    clashes = [d for d in _descriptors() if _norm(d) in items]
    assert not clashes


def test_descriptors_are_not_ipip_pool_items(shared_data):
    pool = pd.read_csv(shared_data / "wulff_ipip_scales" / "ipip_scales_items.csv")["item"]
    items = {_norm(t) for t in pool}
    assert len(items) > 1900
    clashes = [d for d in _descriptors() if _norm(d) in items]
    assert not clashes


# --- user files ------------------------------------------------------------------------------------------------------

GOOD_CSV = """
    item,text,scale,key,level
    N1,I get stressed out easily.,Neuroticism,1,factor
    N1,I get stressed out easily.,Anxiety,+1,facet
    N2,I am relaxed most of the time.,Neuroticism,-1.0,factor
    N2,I am relaxed most of the time.,Calm,1,
"""


def test_user_csv(tmp_path):
    inv = load_inventory(write(tmp_path, "mine.csv", GOOD_CSV))
    assert inv.name == "mine" and inv.description is None
    assert inv.frame.to_dict("records")[1] == {"item": "N1", "text": "I get stressed out easily.",
                                              "scale": "Anxiety", "key": 1, "level": "facet"}
    assert inv.frame["key"].tolist() == [1, 1, -1, 1]
    assert inv.frame["level"].tolist() == ["factor", "facet", "factor", "scale"]
    items = inv.items
    assert items["item"].tolist() == ["N1", "N2"]
    assert items.loc[1, "facet"] is None or pd.isna(items.loc[1, "facet"])
    assert pd.isna(items.loc[1, "facet_key"]) and items.loc[1, "factor_key"] == -1
    assert inv.scales().to_dict("records") == [
        {"scale": "Neuroticism", "level": "factor", "n_items": 2},
        {"scale": "Anxiety", "level": "facet", "n_items": 1},
        {"scale": "Calm", "level": "scale", "n_items": 1},
    ]


def test_user_csv_with_meta_sidecar_and_no_level_column(tmp_path):
    path = write(tmp_path, "x.tsv", "item\ttext\tscale\tkey\na\tI like tea.\tTea\t1\n")
    write(tmp_path, "x.tsv.meta.yaml", "name: tea\ndescription: One item.\nlicence: CC0\n")
    inv = load_inventory(path)
    assert (inv.name, inv.description, inv.licence, inv.source) == ("tea", "One item.", "CC0", None)
    assert inv.scales()["level"].tolist() == ["scale"]
    write(tmp_path, "x.tsv.meta.yaml", "name: tea\nlicense: CC0\n")
    with pytest.raises(InputError, match=r"x\.tsv\.meta\.yaml, line 2, field license"):
        load_inventory(path)


def test_text_in_two_scales_is_accepted(tmp_path):
    path = write(tmp_path, "two.csv", """
        item,text,scale,key
        q1,I enjoy parties.,Sociability,1
        q1,I enjoy parties.,Extraversion,1
    """)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inv = load_inventory(path)
    assert inv.keys("Sociability").to_dict() == {"q1": 1} and len(inv.items) == 1


def test_same_text_under_two_ids_warns(tmp_path):
    path = write(tmp_path, "twice.csv", """
        item,text,scale,key
        q1,I enjoy parties.,Sociability,1
        q2,I enjoy parties.,Extraversion,1
        q2,I enjoy parties.,Fun,1
    """)
    with pytest.warns(UserWarning, match=r"twice\.csv: items 'q1' \(line 2\) and 'q2' \(line 3\) have the same text"
                      ) as record:
        inv = load_inventory(path)
    assert len(record) == 1 and len(inv.items) == 2


@pytest.mark.parametrize(("body", "pattern"), [
    ("N1,Worry.,Neuroticism,,\n", r"line 2, field key: key is missing"),
    ("N1,Worry.,Neuroticism,2,\n", r"line 2, field key: key must be \+1 or -1, got '2'"),
    ("N1,Worry.,Neuroticism,yes,\n", r"line 2, field key: .*got 'yes'"),
    ("N1,Worry.,Neuroticism,1,\nN1,Worry.,Neuroticism,-1,\n",
     r"line 3, field scale: item 'N1' is listed twice in scale 'Neuroticism' \(first at line 2\)"),
    ("N1,Worry.,Neuroticism,1,\nN1,Worry a lot.,Anxiety,1,\n",
     r"line 3, field text: item 'N1' has two different texts: 'Worry\.' .* and 'Worry a lot\.'"),
    ("N1, ,Neuroticism,1,\n", r"line 2, field text: must not be empty"),
    (",Worry.,Neuroticism,1,\n", r"line 2, field item: must not be empty"),
    ("N1,Worry.,Neuroticism,1,domain\n", r"line 2, field level: .*'factor', 'facet' or 'scale'.*domain"),
    ("N1,Worry.,Neuroticism,1,factor\nN2,Calm.,Neuroticism,-1,\n",
     r"line 3, field level: scale 'Neuroticism' has level 'scale' here but 'factor'"),
    ("N1,Worry.,Neuroticism,1,factor\nN1,Worry.,Anxiety,1,factor\n",
     r"line 3, field scale: item 'N1' is in two factor-level scales"),
])
def test_user_csv_errors(tmp_path, body, pattern):
    path = tmp_path / "bad.csv"
    path.write_text("item,text,scale,key,level\n" + body)
    with pytest.raises(InputError, match=r"bad\.csv, " + pattern):
        load_inventory(path)


def test_ragged_row_and_missing_column(tmp_path):
    path = write(tmp_path, "ragged.csv", """
        item,text,scale,key
        N1,Worry.,Neuroticism,1
        N2,"Stay calm, mostly.",Neuroticism,-1,extra
    """)
    with pytest.raises(InputError, match=r"ragged\.csv, line 3, column 5: row has 5 fields but the header has 4"):
        load_inventory(path)
    path = write(tmp_path, "nokey.csv", "item,text,scale\nN1,Worry.,Neuroticism\n")
    with pytest.raises(InputError, match=r"nokey\.csv, line 1: missing column 'key'"):
        load_inventory(path)
    path = write(tmp_path, "empty.csv", "item,text,scale,key\n")
    with pytest.raises(InputError, match="no rows"):
        load_inventory(path)


def test_key_spellings():
    for raw, key in [("1", 1), ("+1", 1), ("-1", -1), (1.0, 1), (-1.0, -1), (" -1.0 ", -1), (1, 1)]:
        assert Membership(item="a", text="t", scale="s", key=raw).key == key
    for raw in [True, 0, 2, "0.5", float("nan"), None]:
        with pytest.raises(ValueError, match="key"):
            Membership(item="a", text="t", scale="s", key=raw)


def test_programmatic_inventory_validates():
    m = Membership(item="a", text="t", scale="s", key=1)
    with pytest.raises(ValueError, match=r"memberships\.1\.scale: item 'a' is listed twice"):
        Inventory(name="x", memberships=(m, m))


GOOD_YAML = """
    name: mini
    description: Two items.
    source: written for a test
    licence: CC0
    levels:
      Neuroticism: factor
      Anxiety: facet
    items:
      - item: N1
        text: I get stressed out easily.
        scales: {Neuroticism: 1, Anxiety: 1}
      - item: 12
        text: I am relaxed most of the time.
        scales:
          Neuroticism: -1
          Calm: "+1"
"""


def test_user_yaml(tmp_path):
    inv = load_inventory(write(tmp_path, "mini.yaml", GOOD_YAML))
    assert (inv.name, inv.description, inv.source, inv.licence) == ("mini", "Two items.", "written for a test",
                                                                     "CC0")
    assert inv.frame.to_dict("list") == {
        "item": ["N1", "N1", "12", "12"],
        "text": ["I get stressed out easily."] * 2 + ["I am relaxed most of the time."] * 2,
        "scale": ["Neuroticism", "Anxiety", "Neuroticism", "Calm"],
        "key": [1, 1, -1, 1],
        "level": ["factor", "facet", "factor", "scale"],
    }


@pytest.mark.parametrize(("old", "new", "pattern"), [
    ("Calm: \"+1\"", "Calm: 2", r"line 16, field items\.1\.scales\.Calm: key must be \+1 or -1, got 2"),
    ("Calm: \"+1\"", "Calm:", r"line 16, field items\.1\.scales\.Calm: key is missing"),
    ("text: I am relaxed most of the time.", "txt: I am relaxed.", r"line \d+, field items\.1\.t"),
    ("  - item: 12", "  - item: N1", r"line 13, field items\.1\.text: item 'N1' has two different texts"),
    ("Anxiety: facet", "Anxiety: domain", r"line 7, field levels\.Anxiety: .*'factor', 'facet' or 'scale'"),
    ("Anxiety: facet", "Anxiety: facet\n  Worry: facet", r"line 8, field levels\.Worry: levels names scale 'Worry'"),
    ("scales: {Neuroticism: 1, Anxiety: 1}", "scales: {}", r"line 11, field items\.0\.scales: .*at least 1"),
    ("name: mini\n", "", r"line 1, field name: required field is missing"),
])
def test_user_yaml_errors(tmp_path, old, new, pattern):
    text = textwrap.dedent(GOOD_YAML).lstrip()
    assert old in text
    path = tmp_path / "mini.yaml"
    path.write_text(text.replace(old, new))
    with pytest.raises(InputError, match=r"mini\.yaml, " + pattern):
        load_inventory(path)


def test_yaml_syntax_error_has_line(tmp_path):
    path = write(tmp_path, "broken.yaml", "name: x\nitems: [\n  {item: a, text: b\n")
    with pytest.raises(InputError, match=r"broken\.yaml, line \d+, column \d+: invalid YAML"):
        load_inventory(path)
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    with pytest.raises(InputError, match=r"list\.yaml, line 1: an inventory file must be a mapping"):
        load_inventory(path)
