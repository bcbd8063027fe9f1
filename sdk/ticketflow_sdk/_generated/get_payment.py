from typing import Optional

from .base_model import BaseModel
from .fragments import Payment


class GetPayment(BaseModel):
    payment: Optional["GetPaymentPayment"]


GetPaymentPayment = Payment
GetPayment.model_rebuild()
