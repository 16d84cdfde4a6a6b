"""What ``minidl bench`` measures: the contestants, the micrograd-demo step, the timing loop."""
