"""The sans-I/O session state machine: responses, tool calls, conversation, input audio."""
