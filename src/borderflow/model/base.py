from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Every scenario object: immutable, strict about unknown keys, finite numbers only."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False,
        validate_default=False, strict=True,
    )
