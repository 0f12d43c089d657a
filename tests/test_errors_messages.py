"""The one rule for quoting a file's labels in a message (hccdash.errors.preview_labels)."""

from hccdash.errors import LABEL_CHARS, preview_labels


def test_a_huge_label_is_cut_and_says_how_much_was_left_out():
    # a 60 MB header cell (found by the read worker's memory test) made a 60 MB error message
    huge = "h" * 60_000_000
    text = preview_labels(["os_months", huge])
    assert len(text) < LABEL_CHARS + 100
    assert text.startswith("'os_months', 'hhh")
    assert text.endswith(f"({60_000_000 - LABEL_CHARS} more characters)")


def test_short_labels_are_quoted_whole_and_counted():
    assert preview_labels(["P03", 7, "P09"], limit=2) == "'P03', 7 and 1 more"
