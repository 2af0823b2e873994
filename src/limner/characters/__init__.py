"""Characters: the same person across generations (studio spec, "Characters").

`CharacterStore` owns the resource (its references copied into storage it owns, its cached
embeddings); `CharacterStore.use` is the `generation.characters.CharacterBook` through which a
generate request's `character_id` is applied by the plan. References pass the one input gate,
`generation.admission.InputAdmission`, like every input picture.
"""

from limner.characters.embeddings import StoredEmbeddings
from limner.characters.model import CharacterCreate, CharacterInfo, StoredReference
from limner.characters.store import CHARACTER_MEDIA, CharacterPage, CharacterStore

__all__ = [
    "CHARACTER_MEDIA",
    "CharacterCreate",
    "CharacterInfo",
    "CharacterPage",
    "CharacterStore",
    "StoredEmbeddings",
    "StoredReference",
]
