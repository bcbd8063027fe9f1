from pydantic import Field

from .base_model import BaseModel
from .fragments import PromoCode


class CreatePromoCode(BaseModel):
    create_promo_code: "CreatePromoCodeCreatePromoCode" = Field(alias="createPromoCode")


CreatePromoCodeCreatePromoCode = PromoCode
CreatePromoCode.model_rebuild()
