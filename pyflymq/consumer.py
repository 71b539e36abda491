"""TEMPORARY placeholder: being written (HighLevelConsumer, Consumer)."""


class HighLevelConsumer:  # placeholder
    pass


class Consumer:  # placeholder
    pass
