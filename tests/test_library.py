"""The library: the nine novels lessons 1-6 read plus 43 more books, held out per book."""
import pytest

from bertbook import load_corpus, load_library
from bertbook.corpus import CORPUS_MORE_DIR
from bertbook.training import split_documents


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_both_shelves_and_nothing_twice(library):
    novels = [d.name for d in load_corpus()]
    names = [d.name for d in library]
    assert len(novels) == 9 and names[:9] == novels              # lessons 1-6 still read the nine novels
    assert len(names) == 9 + len(list(CORPUS_MORE_DIR.glob("*.txt"))) == 52
    assert len(set(names)) == len(names)
    assert sum(len(d.sentences) for d in library) > 4 * sum(len(d.sentences) for d in load_corpus())


def test_no_project_gutenberg_boilerplate(library):
    for d in library:
        assert not any("gutenberg" in s.lower() for s in d.sentences), d.name


def test_held_out_text_is_per_book_and_unchanged_by_the_new_books(library):
    """Adding books moves no sentence of an old book between training and held-out text."""
    train, held_out = split_documents(library, 0.02)
    assert {d.name for d in held_out} == {d.name for d in library}
    old_train, old_held_out = split_documents(load_corpus(), 0.02)
    assert [d.sentences for d in held_out[:9]] == [d.sentences for d in old_held_out]
    for d, t, h in zip(library, train, held_out):
        assert d.name == t.name == h.name and t.sentences + h.sentences == d.sentences and len(h.sentences) >= 2


def test_same_file_name_on_two_shelves_is_refused(tmp_path):
    for shelf in ("a", "b"):
        (tmp_path / shelf).mkdir()
        (tmp_path / shelf / "book.txt").write_text("It rained. Then it stopped.\n")
    with pytest.raises(ValueError, match="same file name"):
        load_library((tmp_path / "a", tmp_path / "b"))
