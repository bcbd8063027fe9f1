from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class QueueChallenge(BaseModel):
    queue_challenge: Optional["QueueChallengeQueueChallenge"] = Field(
        alias="queueChallenge"
    )


class QueueChallengeQueueChallenge(BaseModel):
    kind: str
    nonce: str
    difficulty: int


QueueChallenge.model_rebuild()
