"""pyflymq: a Python client for the FlyMQ message broker, and a FlyMQ-compatible broker for tests.

The user-facing API follows ``CONSUMER_PATTERNS.md``::

    from pyflymq import connect
    client = connect("localhost:9092")
    with client.consumer("my-topic", "my-group") as consumer:
        for message in consumer:
            print(message.decode())
"""

from .client import FlyMQClient, Transaction, connect
from .consumer import Consumer, HighLevelConsumer
from .errors import (
    AuthenticationError,
    AuthError,
    AuthorizationError,
    ConsumerConnectionError,
    ConsumerError,
    DecodeError,
    DLQError,
    FlyMQConnectionError,
    FlyMQError,
    FlyMQTimeoutError,
    FrameTooLargeError,
    GroupNotFoundError,
    NotLeaderError,
    OffsetOutOfRangeError,
    PartitionNotFoundError,
    ProduceError,
    ProtocolError,
    SchemaError,
    ServerError,
    TopicNotFoundError,
    TransactionError,
    UnsupportedOperationError,
)
from .models import (
    AuthResult,
    ClusterMetadata,
    DLQEntry,
    FetchResult,
    GroupInfo,
    Lag,
    Message,
    PartitionMetadata,
    RecordMetadata,
    SubscribeMode,
    TopicMetadata,
)

__version__ = "0.1.0"

__all__ = [
    "AuthError", "AuthResult", "AuthenticationError", "AuthorizationError", "ClusterMetadata", "Consumer",
    "ConsumerConnectionError", "ConsumerError", "DLQEntry", "DLQError", "DecodeError", "FetchResult", "FlyMQClient",
    "FlyMQConnectionError", "FlyMQError", "FlyMQTimeoutError", "FrameTooLargeError", "GroupInfo",
    "GroupNotFoundError", "HighLevelConsumer", "Lag", "Message", "NotLeaderError", "OffsetOutOfRangeError",
    "PartitionMetadata", "PartitionNotFoundError", "ProduceError", "ProtocolError", "RecordMetadata",
    "SchemaError", "ServerError", "SubscribeMode", "TopicMetadata", "TopicNotFoundError", "Transaction",
    "TransactionError", "UnsupportedOperationError", "connect",
]
