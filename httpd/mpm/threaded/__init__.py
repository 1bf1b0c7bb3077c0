"""What the threaded MPMs share (worker.c and event.c, whose parent and child are one
design): the parent that spare-manages processes by idle threads (parent.py,
ThreadedParent) and the child of ThreadsPerChild worker threads fed by one listener
thread (child.py, ThreadedChild).  An MPM brings its listener loop, AH numbers and
maintenance tweaks (mpms/worker/, mpms/event/)."""
