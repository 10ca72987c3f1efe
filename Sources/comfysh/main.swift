print("comfysh")
