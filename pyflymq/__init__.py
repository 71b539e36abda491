"""pyflymq: a Python client for the FlyMQ message broker, and a FlyMQ-compatible broker for tests.

The user-facing API follows ``CONSUMER_PATTERNS.md``::

    from pyflymq import connect
    client = connect("localhost:9092")
    with client.consumer("my-topic", "my-group") as consumer:
        for message in consumer:
            print(message.decode())
"""

from .client import FlyMQClient, NodeInfo, Transaction, connect
from .consumer import Consumer, HighLevelConsumer
from .errors import (
    AuthDisabledWarning,
    AuthenticationError,
    AuthError,
    AuthNotEnabledError,
    AuthorizationError,
    ConsumerConnectionError,
    ConsumerError,
    DecodeError,
    DLQError,
    EncodeError,
    FlyMQConnectionError,
    FlyMQError,
    FlyMQTimeoutError,
    FrameTooLargeError,
    GroupNotFoundError,
    NodeChangedError,
    NotLeaderError,
    OffsetOutOfRangeError,
    PartitionNotFoundError,
    ProduceError,
    ProtocolError,
    SchemaError,
    ServerError,
    TLSConfigurationError,
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
    "AuthDisabledWarning", "AuthError", "AuthNotEnabledError", "AuthResult", "AuthenticationError", "AuthorizationError", "ClusterMetadata", "Consumer",
    "ConsumerConnectionError", "ConsumerError", "DLQEntry", "DLQError", "DecodeError", "EncodeError", "FetchResult", "FlyMQClient",
    "FlyMQConnectionError", "FlyMQError", "FlyMQTimeoutError", "FrameTooLargeError", "GroupInfo",
    "GroupNotFoundError", "HighLevelConsumer", "Lag", "Message", "NodeChangedError", "NodeInfo", "NotLeaderError", "OffsetOutOfRangeError",
    "PartitionMetadata", "PartitionNotFoundError", "ProduceError", "ProtocolError", "RecordMetadata",
    "SchemaError", "ServerError", "SubscribeMode", "TLSConfigurationError", "TopicMetadata", "TopicNotFoundError", "Transaction",
    "TransactionError", "UnsupportedOperationError", "connect",
]
