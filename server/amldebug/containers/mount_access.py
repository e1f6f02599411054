"""Who the debug container runs as when the project is bind-mounted over /var/azureml-app. Pure.

The server runs as the image's own user (non-root, like Azure ML's inference images). A bind mount
keeps the host's owners and modes, so that user must be able to read the project folder: "others"
can in the usual 0755 folder; a group-only folder (0750) is opened by adding its group; a folder
only its owner can open (0700) is served as that owner, said in a note. The container never
changes the project's owners or modes, so it stays editable on the host.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class MountAccess:
    user: str | None = None  # override of the image's USER ("uid:gid"), None: keep it
    group_add: tuple[str, ...] = ()
    note: str | None = None


def _is_root(user: str) -> bool:
    return user.split(":")[0] in ("", "root", "0")


def mount_access(image_user: str, mode: int, owner_uid: int, owner_gid: int) -> MountAccess:
    """How the image's user (`image_user`, "" for root) reaches a mounted folder of `mode`."""
    if _is_root(image_user):
        return MountAccess()
    if mode & stat.S_IROTH and mode & stat.S_IXOTH:
        return MountAccess()
    if mode & stat.S_IRGRP and mode & stat.S_IXGRP:
        return MountAccess(group_add=(str(owner_gid),))
    return MountAccess(
        user=f"{owner_uid}:{owner_gid}",
        note=(
            f"the project folder can only be opened by its owner (mode {stat.filemode(mode)}), "
            f"so the server runs as uid {owner_uid} instead of the image's user "
            f"'{image_user}'; `chmod o+rx` on the folder keeps Azure ML's non-root user"
        ),
    )
