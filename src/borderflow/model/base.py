"""The base of every scenario object, and the names every part of the format uses."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

NodeKind = Literal["plant", "warehouse", "broker", "stockpile", "site"]
NODE_KINDS: tuple[NodeKind, ...] = ("plant", "warehouse", "broker", "stockpile", "site")
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class Frozen(BaseModel):
    """Every scenario object: immutable, strict about unknown keys, finite numbers only."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False,
        validate_default=False, strict=True,
    )
