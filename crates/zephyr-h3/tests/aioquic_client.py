# Runs aioquic's example client (examples/http3_client.py from the aioquic sdist) in-process, so
# a 1 MiB POST body can be passed as --data without hitting the kernel's per-argument size limit:
# `--data-file PATH` is replaced by `--data <contents of PATH>` (ASCII).
#   python aioquic_client.py EXAMPLES_DIR [http3_client.py arguments...]
import runpy
import sys

examples, args = sys.argv[1], sys.argv[2:]
if "--data-file" in args:
    i = args.index("--data-file")
    with open(args[i + 1], encoding="ascii") as f:
        args[i : i + 2] = ["--data", f.read()]
sys.path.insert(0, examples)
sys.argv = [examples + "/http3_client.py", *args]
runpy.run_path(examples + "/http3_client.py", run_name="__main__")
