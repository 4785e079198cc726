from . import test_queue
