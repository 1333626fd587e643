"""Where the response data are found: $TRAITLENS_DATA_DIR, ../shared/data, the checkout's shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from traitlens.datasets import default_data_dir, load_responses, paths
from traitlens.errors import InputError


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """A working directory without ../shared/data, no $TRAITLENS_DATA_DIR and no checkout data folder."""
    monkeypatch.delenv("TRAITLENS_DATA_DIR", raising=False)
    monkeypatch.setattr(paths, "CHECKOUT_DATA_DIR", tmp_path / "checkout" / "shared" / "data")
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_nothing_found_names_the_option_and_the_variable(nowhere):
    with pytest.raises(InputError, match=r"no response-data folder.*TRAITLENS_DATA_DIR is not set") as info:
        default_data_dir()
    message = str(info.value)
    assert "--data-dir" in message and "set TRAITLENS_DATA_DIR" in message
    assert str(nowhere.parent / "shared" / "data") in message and "checkout" in message
    with pytest.raises(InputError, match="no response-data folder"):
        load_responses("bfi")


def test_order_environment_then_working_directory_then_checkout(nowhere, monkeypatch):
    tmp_path = nowhere.parent
    checkout = tmp_path / "checkout" / "shared" / "data"
    checkout.mkdir(parents=True)
    assert default_data_dir() == checkout.resolve()  # the last resort
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert default_data_dir() == (tmp_path / "shared" / "data").resolve()  # ../shared/data before the checkout
    monkeypatch.setenv("TRAITLENS_DATA_DIR", str(nowhere))
    assert default_data_dir() == nowhere  # the environment variable comes first
    monkeypatch.setenv("TRAITLENS_DATA_DIR", str(tmp_path / "absent"))
    with pytest.raises(InputError, match=r"\$TRAITLENS_DATA_DIR is .*not a folder"):
        default_data_dir()  # named but missing: an error, not a silent fallback


def test_not_a_checkout(nowhere, monkeypatch):
    monkeypatch.setattr(paths, "CHECKOUT_DATA_DIR", None)  # e.g. installed into site-packages
    with pytest.raises(InputError, match="no response-data folder"):
        default_data_dir()


def test_the_checkout_of_this_repository():
    repo = Path(__file__).resolve().parents[2]
    if not Path(paths.__file__).resolve().is_relative_to(repo / "src"):
        pytest.skip("traitlens is not installed from this checkout (editable)")
    assert paths.CHECKOUT_DATA_DIR == repo.parent / "shared" / "data"
