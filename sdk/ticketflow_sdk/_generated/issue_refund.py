from pydantic import Field

from .base_model import BaseModel
from .fragments import Refund


class IssueRefund(BaseModel):
    refund_payment: "IssueRefundRefundPayment" = Field(alias="refundPayment")


IssueRefundRefundPayment = Refund
IssueRefund.model_rebuild()
