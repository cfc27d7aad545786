package adapters

import (
	"strconv"
	"strings"
)

// The AWS price list says how many GPUs an instance type has (attribute
// "gpu") but never which GPU, so the model comes from this table, built from
// the accelerated-computing instance specifications:
// https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html
// GPU names are spelled the way the driver reports them on the instance.

// awsGPU is the accelerator of one instance family.
type awsGPU struct {
	name  string
	memGB float64 // per physical GPU
}

// awsGPUFamilies lists every EC2 family whose instances carry GPUs. Trainium,
// Inferentia, FPGA and video-transcoding families are not GPUs and are left out.
var awsGPUFamilies = map[string]awsGPU{
	"p6-b300":   {"NVIDIA B300", 268},
	"p6-b200":   {"NVIDIA B200", 180},
	"p6e-gb200": {"NVIDIA GB200", 185},
	"p5en":      {"NVIDIA H200", 141},
	"p5e":       {"NVIDIA H200", 141},
	"p5":        {"NVIDIA H100 80GB HBM3", 80},
	"p4de":      {"NVIDIA A100-SXM4-80GB", 80},
	"p4d":       {"NVIDIA A100-SXM4-40GB", 40},
	"p3dn":      {"Tesla V100-SXM2-32GB", 32},
	"p3":        {"Tesla V100-SXM2-16GB", 16},
	"p2":        {"Tesla K80", 12},
	"g7e":       {"NVIDIA RTX PRO 6000 Blackwell Server Edition", 96},
	"g6e":       {"NVIDIA L40S", 48},
	"g6":        {"NVIDIA L4", 24},
	"gr6":       {"NVIDIA L4", 24},
	"g6f":       {"NVIDIA L4", 24},
	"gr6f":      {"NVIDIA L4", 24},
	"g5":        {"NVIDIA A10G", 24},
	"g5g":       {"NVIDIA T4G", 16},
	"g4dn":      {"Tesla T4", 16},
	"g4ad":      {"AMD Radeon Pro V520", 8},
	"g3":        {"Tesla M60", 8},
	"g3s":       {"Tesla M60", 8},
	"dl1":       {"Habana Gaudi HL-205", 32},
}

// awsGPUCounts is the number of GPUs per instance type. The g6f/gr6f types
// get a slice of one L4 (NVIDIA vGPU profiles L4-3Q, L4-6Q, L4-12Q), so
// their counts are fractions of a GPU.
var awsGPUCounts = map[string]float64{
	"p6-b300.48xlarge":   8,
	"p6-b200.48xlarge":   8,
	"p6e-gb200.36xlarge": 4,
	"p5en.48xlarge":      8,
	"p5e.48xlarge":       8,
	"p5.48xlarge":        8,
	"p5.4xlarge":         1,
	"p4de.24xlarge":      8,
	"p4d.24xlarge":       8,
	"p3dn.24xlarge":      8,
	"p3.2xlarge":         1,
	"p3.8xlarge":         4,
	"p3.16xlarge":        8,
	"p2.xlarge":          1,
	"p2.8xlarge":         8,
	"p2.16xlarge":        16,
	"g7e.2xlarge":        1,
	"g7e.4xlarge":        1,
	"g7e.8xlarge":        1,
	"g7e.12xlarge":       2,
	"g7e.24xlarge":       4,
	"g7e.48xlarge":       8,
	"g6e.xlarge":         1,
	"g6e.2xlarge":        1,
	"g6e.4xlarge":        1,
	"g6e.8xlarge":        1,
	"g6e.16xlarge":       1,
	"g6e.12xlarge":       4,
	"g6e.24xlarge":       4,
	"g6e.48xlarge":       8,
	"g6.xlarge":          1,
	"g6.2xlarge":         1,
	"g6.4xlarge":         1,
	"g6.8xlarge":         1,
	"g6.16xlarge":        1,
	"g6.12xlarge":        4,
	"g6.24xlarge":        4,
	"g6.48xlarge":        8,
	"gr6.4xlarge":        1,
	"gr6.8xlarge":        1,
	"g6f.large":          1.0 / 8,
	"g6f.xlarge":         1.0 / 8,
	"g6f.2xlarge":        1.0 / 4,
	"g6f.4xlarge":        1.0 / 2,
	"gr6f.4xlarge":       1.0 / 2,
	"g5.xlarge":          1,
	"g5.2xlarge":         1,
	"g5.4xlarge":         1,
	"g5.8xlarge":         1,
	"g5.16xlarge":        1,
	"g5.12xlarge":        4,
	"g5.24xlarge":        4,
	"g5.48xlarge":        8,
	"g5g.xlarge":         1,
	"g5g.2xlarge":        1,
	"g5g.4xlarge":        1,
	"g5g.8xlarge":        1,
	"g5g.16xlarge":       2,
	"g5g.metal":          2,
	"g4dn.xlarge":        1,
	"g4dn.2xlarge":       1,
	"g4dn.4xlarge":       1,
	"g4dn.8xlarge":       1,
	"g4dn.16xlarge":      1,
	"g4dn.12xlarge":      4,
	"g4dn.metal":         8,
	"g4ad.xlarge":        1,
	"g4ad.2xlarge":       1,
	"g4ad.4xlarge":       1,
	"g4ad.8xlarge":       2,
	"g4ad.16xlarge":      4,
	"g3s.xlarge":         1,
	"g3.4xlarge":         1,
	"g3.8xlarge":         2,
	"g3.16xlarge":        4,
	"dl1.24xlarge":       8,
}

// awsFamily returns the family part of an instance type ("p5" of
// "p5.48xlarge", "p6-b200" of "p6-b200.48xlarge").
func awsFamily(instanceType string) string {
	fam, _, _ := strings.Cut(instanceType, ".")
	return fam
}

// awsInstanceGPU returns the GPU name, per-GPU memory and GPU count of an
// instance type. A size missing from awsGPUCounts in a known GPU family (a
// size launched after this table was written) falls back to the price
// list's own "gpu" attribute; ok is false for non-GPU types.
func awsInstanceGPU(instanceType, gpuAttr string) (name string, memGB, count float64, ok bool) {
	g, ok := awsGPUFamilies[awsFamily(instanceType)]
	if !ok {
		return "", 0, 0, false
	}
	if n, known := awsGPUCounts[instanceType]; known {
		return g.name, g.memGB, n, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(gpuAttr))
	if err != nil || n <= 0 || n > 64 {
		return "", 0, 0, false
	}
	return g.name, g.memGB, float64(n), true
}
