"""Characters: the same person across generations (studio spec, "Characters").

`CharacterStore` owns the resource (its references copied into storage it owns, its cached
embeddings); `CharacterStore.use` is the `generation.characters.CharacterBook` through which a
generate request's `character_id` is applied by the plan; `ReferenceAdmission` keeps user pictures
away from the adult style and screens every reference.
"""

from limner.characters.admission import ReferenceAdmission
from limner.characters.embeddings import StoredEmbeddings
from limner.characters.model import CharacterCreate, CharacterInfo, StoredReference
from limner.characters.store import CHARACTER_MEDIA, CharacterPage, CharacterStore

__all__ = [
    "CHARACTER_MEDIA",
    "CharacterCreate",
    "CharacterInfo",
    "CharacterPage",
    "CharacterStore",
    "ReferenceAdmission",
    "StoredEmbeddings",
    "StoredReference",
]
