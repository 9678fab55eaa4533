"""Every chapter's exercise checks, alike: the notebook as stored (answer ``None``) runs and says so.

The checks are found, not listed: a new ``check_*`` in ``helpers/exercises/chNN.py`` is tested here
without being added. The chapter files (``test_exercises_chNN.py``) test right and wrong answers.
"""

import importlib
import inspect
import pkgutil

import pytest

import helpers.exercises

CHECKS = sorted(
    (f"{info.name.split('.')[-1]}.{name}", obj)
    for info in pkgutil.iter_modules(helpers.exercises.__path__, "helpers.exercises.")
    if info.name.split(".")[-1].startswith("ch")
    for name, obj in vars(importlib.import_module(info.name)).items()
    if name.startswith("check_") and inspect.isfunction(obj) and obj.__module__ == info.name
)


def test_every_chapter_has_at_least_four_checks():
    per_chapter = {}
    for name, _ in CHECKS:
        per_chapter[name.split(".")[0]] = per_chapter.get(name.split(".")[0], 0) + 1
    assert sorted(per_chapter) == ["ch01", "ch02", "ch03", "ch04", "ch05"]
    assert min(per_chapter.values()) >= 4, per_chapter


@pytest.mark.parametrize("check", [c for _, c in CHECKS], ids=[n for n, _ in CHECKS])
def test_no_answer_yet_is_not_an_error(check, capsys):
    required = [p for p in inspect.signature(check).parameters.values() if p.default is inspect.Parameter.empty]
    assert check(*[None] * len(required)) is None
    assert capsys.readouterr().out == "Not answered yet: replace None with your answer and run the cell again.\n"
