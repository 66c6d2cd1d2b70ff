"""The object pipeline: writes, reads, include, update operators, echo, Cloud functions' registry; imports no domain."""
