"""Helpers shared by the articles tests: the revised sample article, and the article admin's form data.

(``tests/articles/test_revisions.py`` still imports these through ``test_import``
and ``test_admin``; they live here so that no test module needs another.)
"""

from articles.demo import SAMPLE_PATH

SAMPLE_TEXT = SAMPLE_PATH.read_text(encoding="utf-8")
SAMPLE_TITLE = "Just now, Altman updated the blog: The tenth year of entrepreneurship, my reflection"
SAMPLE_SLUG = "just-now-altman-updated-the-blog-the-tenth-year-of-entrepreneurship-my-reflection"

EDITED_OLD = "At that time, few people paid attention to us, and if they did, it was mainly because they didn't think we had a chance to succeed."
EDITED_NEW = "At that time, very few people paid attention to us, and if they did, it was mainly because they did not think we had a chance to succeed."
INSERTED = "This paragraph was added for the revised file and appears nowhere in the original copy of the post."
DELETED = "It won't be easy. The road is not easy, and there is no obvious right choice."
FIRST = "Sam Altman is starting to reflect."


def write(tmp_path, text, name="article.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def revised_sample():
    assert SAMPLE_TEXT.count(EDITED_OLD) == 1 and SAMPLE_TEXT.count(DELETED + "\n") == 1
    text = SAMPLE_TEXT.replace(EDITED_OLD, EDITED_NEW)
    text = text.replace(FIRST + "\n", f"{FIRST}\n\n{INSERTED}\n", 1)
    return text.replace(DELETED + "\n", "", 1)


def change_url(article):
    return f"/admin/articles/article/{article.pk}/change/"


def block_field(data, block, field):
    """The html name of ``field`` in the inline row holding ``block``."""
    for name, value in data.items():
        if name.startswith("blocks-") and name.endswith("-id") and str(value) == str(block.pk):
            return name[: -len("id")] + field
    raise AssertionError(f"block {block.pk} is not in the form")
