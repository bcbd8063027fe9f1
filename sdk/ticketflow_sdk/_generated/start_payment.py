from pydantic import Field

from .base_model import BaseModel
from .fragments import Payment


class StartPayment(BaseModel):
    start_payment: "StartPaymentStartPayment" = Field(alias="startPayment")


StartPaymentStartPayment = Payment
StartPayment.model_rebuild()
