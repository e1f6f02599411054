"""Who the debug container runs as when the project is mounted (pure)."""

from __future__ import annotations

from amldebug.containers.mount_access import MountAccess, mount_access


def test_a_root_image_needs_nothing() -> None:
    assert mount_access("", 0o40700, 1000, 1000) == MountAccess()
    assert mount_access("root", 0o40700, 1000, 1000) == MountAccess()


def test_a_folder_others_can_open_keeps_the_images_user() -> None:
    assert mount_access("azureuser", 0o40755, 1000, 1000) == MountAccess()


def test_a_group_only_folder_adds_its_group() -> None:
    assert mount_access("azureuser", 0o40750, 1000, 1234) == MountAccess(group_add=("1234",))


def test_an_owner_only_folder_runs_as_its_owner_and_says_why() -> None:
    access = mount_access("azureuser", 0o40700, 1000, 1001)
    assert access.user == "1000:1001"
    assert access.note is not None and "chmod o+rx" in access.note
