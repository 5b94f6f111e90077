def warm_up(wait=False):
    pass
