"""What turns a lowered model into a solvable object: plain, counterpart, dsp, analysis; solving."""
