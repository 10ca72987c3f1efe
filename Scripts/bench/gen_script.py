#!/usr/bin/env python3
"""Writes an editing script of N commands (default 10,000) for a workflow from gen_workflow.py.

usage: gen_script.py WORKFLOW.json [N] > edits.comfy
A mix of what people do: set values (numbers, text, quoted text), titles, links, undo/redo, get.
"""
import sys

workflow = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
print(f"load {workflow}")
count = 1
i = 0
while count < n:
    node = 1 + (i * 4) % 2000  # an EmptyImage (1, 5, 9, …)
    kind = i % 8
    if kind == 0:
        line = f"set {node}.width {256 + i % 512}"
    elif kind == 1:
        line = f"set {node}.color {i}"
    elif kind == 2:
        line = f'title {node} "Source {i}"'
    elif kind == 3:
        line = f"set {node + 3}.filename_prefix \"bench/run {i}\""
    elif kind == 4:
        line = f"link {node + 3}.images {node}:0"
    elif kind == 5:
        line = "undo"
    elif kind == 6:
        line = "redo"
    else:
        line = f"get {node}.width"
    print(line)
    count += 1
    i += 1
