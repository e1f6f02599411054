"""Where Azure ML puts a deployment's models (pure), and the symlink tree a local server gets."""

from __future__ import annotations

from pathlib import Path

from amldebug.containers.model_files import link_model_tree, model_source
from amldebug.containers.model_layout import (
    ModelSource,
    model_dir_beside_mount,
    model_dir_contents,
    plan_model_layout,
)
from amldebug.project import Project

ROOT = "/var/azureml-app/azureml-models"


def folder(path: str, *files: str, name: str | None = None, version: str | None = None):  # type: ignore[no-untyped-def]
    return ModelSource(path, True, files, name=name, version=version)


def file(path: str, name: str | None = None, version: str | None = None) -> ModelSource:
    return ModelSource(path, False, name=name, version=version)


def test_v2_folder_keeps_its_own_name_under_the_model_dir() -> None:
    layout = plan_model_layout([folder("../model-1/model/", "sklearn_regression_model.pkl")])
    assert layout.model_dir() == f"{ROOT}/model/1"
    assert [p.target() for p in layout.placed] == [f"{ROOT}/model/1/model"]
    assert layout.contents() == {"model", "model/sklearn_regression_model.pkl"}


def test_v2_folder_with_a_registered_name_and_version() -> None:
    layout = plan_model_layout([folder("model", "model.json", name="house-price", version="3")])
    assert layout.model_dir() == f"{ROOT}/house-price/3"
    assert layout.placed[0].target() == f"{ROOT}/house-price/3/model"


def test_v2_single_file_sits_directly_in_the_model_dir() -> None:
    layout = plan_model_layout([file("models/model_1/v1/sample_m1.pkl", name="m1")])
    assert layout.model_dir() == f"{ROOT}/m1/1"
    assert layout.placed[0].target() == f"{ROOT}/m1/1/sample_m1.pkl"
    assert layout.contents() == {"sample_m1.pkl"}


def test_a_file_model_without_a_name_is_named_after_its_stem() -> None:
    layout = plan_model_layout([file("/x/sklearn_mnist_model.pkl")])
    assert layout.placed[0].relative_target == "sklearn_mnist_model/1/sklearn_mnist_model.pkl"


def test_v1_one_model_is_name_version_registered_path() -> None:
    layout = plan_model_layout([folder("outputs/clf", "a/b.bin", name="clf", version="7")])
    assert layout.model_dir() == f"{ROOT}/clf/7"
    assert layout.contents() == {"clf", "clf/a", "clf/a/b.bin"}


def test_v1_several_models_make_the_root_the_model_dir_with_a_folder_per_model() -> None:
    layout = plan_model_layout(
        [file("first.pkl", name="my_first_model"), file("second.pkl", name="my_second_model")]
    )
    assert layout.model_dir() == ROOT
    assert [p.target() for p in layout.placed] == [
        f"{ROOT}/my_first_model/1/first.pkl",
        f"{ROOT}/my_second_model/1/second.pkl",
    ]
    assert "my_first_model/1/first.pkl" in layout.contents()
    assert "my_second_model/1" in layout.contents()


def test_two_versions_of_one_model_sit_side_by_side() -> None:
    layout = plan_model_layout(
        [file("a/m.pkl", name="m", version="1"), file("b/m.pkl", name="m", version="2")]
    )
    assert [p.relative_target for p in layout.placed] == ["m/1/m.pkl", "m/2/m.pkl"]


def test_two_local_models_with_one_derived_name_do_not_collide() -> None:
    layout = plan_model_layout([file("a/model.pkl"), file("b/model.pkl")])
    assert [p.relative_folder for p in layout.placed] == ["model/1", "model-2/1"]


def test_no_model_means_no_model_dir() -> None:
    layout = plan_model_layout([])
    assert layout.model_dir() is None and model_dir_contents([]) == frozenset()


def test_unsafe_names_are_made_safe() -> None:
    layout = plan_model_layout([folder("my model (v2)", "x")])
    assert layout.placed[0].relative_target == "my-model-v2/1/my model (v2)"


def test_beside_a_mount_the_model_dir_is_the_store() -> None:
    assert model_dir_beside_mount("model/1") == "/var/azureml-models/model/1"
    assert model_dir_beside_mount("") == "/var/azureml-models"


def test_model_source_lists_a_folder_and_says_when_the_listing_stopped(tmp_path: Path) -> None:
    (tmp_path / "m" / "sub").mkdir(parents=True)
    (tmp_path / "m" / "sub" / "w.bin").write_bytes(b"x")
    (tmp_path / "m" / "a.json").write_text("{}")
    source = model_source(tmp_path / "m")
    assert source.is_folder and source.files == ("a.json", "sub/w.bin")
    assert source.listing_complete


def test_a_local_server_gets_symlinks_laid_out_as_azure_ml_lays_the_models_out(
    tmp_path: Path,
) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.json").write_text("{}")
    project = Project(root=tmp_path, model_paths=(tmp_path / "model",))
    model_dir = link_model_tree(project, tmp_path / "tree")
    assert model_dir == tmp_path / "tree" / "model" / "1"
    assert (model_dir / "model" / "model.json").read_text() == "{}"
    assert link_model_tree(Project(root=tmp_path), tmp_path / "none") is None


def test_project_model_dir_contents_for_aml113(tmp_path: Path) -> None:
    from amldebug.containers.model_files import project_model_dir_contents

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.json").write_text("{}")
    project = Project(root=tmp_path, model_paths=(tmp_path / "model",))
    assert project_model_dir_contents(project) == ({"model", "model/model.json"}, True)
