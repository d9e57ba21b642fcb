"""Drop folder: JSON files in a folder become tickets; ticket changes become files."""

from hub.hookspecs import hookimpl

__version__ = "1.0.0"


@hookimpl
def register_connectors():
    from hub_dropfolder.connector import DropFolder

    return [DropFolder]
