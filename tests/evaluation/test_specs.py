"""Install specs: the harness's per-version specs read as data (never run as shell), or a generic one."""

from __future__ import annotations

from pathlib import Path

from evaluation.specs import _from_swebench, _generic, _project_args


def test_a_swebench_spec_becomes_uv_arguments_and_its_shell_commands_are_not_run(tmp_path: Path) -> None:
    (tmp_path / "requirements_dev.txt").write_text("pytest\n")
    spec = _from_swebench({"python": "3.9", "packages": "requirements.txt", "pip_packages": ["flake8", "pytest"],
                           "install": "python -m pip install -e '.[all]'", "pre_install": ["rm -rf /"]},
                          ["requirements-missing.txt", "requirements_dev.txt"], tmp_path)
    assert spec.requirement_files == ("requirements_dev.txt",) and spec.packages == ("flake8", "pytest")
    assert spec.project == (".[all]",) and spec.python == "3.9"
    assert any("pre_install" in note for note in spec.notes)
    conda = _from_swebench({"packages": "numpy scipy", "install": "python setup.py develop"}, [], tmp_path)
    assert conda.packages == ("numpy", "scipy") and conda.project == (".",)


def test_project_install_targets() -> None:
    assert _project_args("pip install -e .") == (".",)
    assert _project_args("python -m pip install --no-build-isolation -e .[dev,test]") == (".[dev,test]",)
    assert _project_args("python setup.py install") == (".",)
    assert _project_args("pip install 'unbalanced") == (".",)


def test_the_generic_spec_takes_test_extras_and_development_requirements(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "test.txt").write_text("hypothesis\n")
    spec = _generic(tmp_path)
    assert spec.source == "generic" and spec.requirement_files == ("requirements/test.txt",)
    assert spec.project == (".[test,tests,testing]",)
