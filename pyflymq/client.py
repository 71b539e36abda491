"""TEMPORARY placeholder: being written (FlyMQClient, Transaction, connect)."""


class FlyMQClient:  # placeholder
    pass


class Transaction:  # placeholder
    pass


def connect(*args, **kwargs):  # placeholder
    raise NotImplementedError
