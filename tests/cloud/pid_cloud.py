"""A cloud file for the multi-process test: which process answered."""

import os

from chartkeep import cloud


@cloud.define("whoami")
async def whoami(req):
    return os.getpid()
