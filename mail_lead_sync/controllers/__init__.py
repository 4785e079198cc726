from . import main, thread
