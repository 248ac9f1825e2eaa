"""Writes to articles, one module per use case: ``importing`` a parsed document, editing ``blocks``.

Both record an article revision (``articles.revisions``) in their own transaction.
"""

from articles.services.blocks import BlockEdit, RevisedBlocks, revise_blocks
from articles.services.importing import ImportConflict, ImportResult, import_article

__all__ = ["BlockEdit", "ImportConflict", "ImportResult", "RevisedBlocks", "import_article", "revise_blocks"]
