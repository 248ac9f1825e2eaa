"""Helpers shared by the articles tests: the revised sample article, and the article admin's form data.

(``tests/articles/test_revisions.py`` still imports these through ``test_import``
and ``test_admin``; they live here so that no test module needs another.)
"""

import datetime as dt

from django import forms

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


def _field_data(form):
    """The POST data a browser would send for ``form`` unchanged."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        if isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        data[bound.html_name] = value
    return data


def change_form_data(response):
    """POST data for saving the change page as it was served: main form, inline forms and management forms."""
    data = _field_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_field_data(formset.management_form))
        for form in formset.initial_forms:
            data.update(_field_data(form))
        # unchanged extra forms: send nothing (TOTAL_FORMS counts only the initial ones)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
    data["_save"] = "Save"
    return data


def block_field(data, block, field):
    """The html name of ``field`` in the inline row holding ``block``."""
    for name, value in data.items():
        if name.startswith("blocks-") and name.endswith("-id") and str(value) == str(block.pk):
            return name[: -len("id")] + field
    raise AssertionError(f"block {block.pk} is not in the form")
