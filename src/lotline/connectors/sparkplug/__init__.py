"""Sparkplug B 3.0: payload codec, topic names, the host application state machine and the source connector.

Importing this package does not import protobuf or paho (they come with the `mqtt` extra and are loaded when
the connector connects); `lotline.connectors.sparkplug.codec` imports protobuf.
"""

from lotline.connectors.sparkplug.host import Command, HostApplication, Outcome
from lotline.connectors.sparkplug.model import (
    DataSet,
    DataType,
    Metric,
    Payload,
    PropertyValue,
    Raw,
    Template,
)
from lotline.connectors.sparkplug.source import SPEC, SparkplugConfig, SparkplugSource
from lotline.connectors.sparkplug.topics import Topic, TopicError, node_topic, parse, state_topic

__all__ = [
    "SPEC",
    "Command",
    "DataSet",
    "DataType",
    "HostApplication",
    "Metric",
    "Outcome",
    "Payload",
    "PropertyValue",
    "Raw",
    "SparkplugConfig",
    "SparkplugSource",
    "Template",
    "Topic",
    "TopicError",
    "node_topic",
    "parse",
    "state_topic",
]
