"""Wire protocols: parse the request, build a RequestContext, call one service, serialise."""
