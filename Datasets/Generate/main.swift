print("make-datasets: not yet")
