package main

// The rows that are each about one object, for -o name (objectRow). They live here rather
// than beside each command so that a command's file only lists outputName in checkOutput.

func (r accessRow) object() objectRef {
	return objectRef{kind: "AccessRole", namespace: r.Namespace, name: r.AccessRole}
}

func (r breachRow) object() objectRef {
	return objectRef{kind: "DataBreach", namespace: r.Namespace, name: r.Name}
}

func (r liaRow) object() objectRef {
	return objectRef{kind: "LegitimateInterestAssessment", namespace: r.Namespace, name: r.Name}
}

func (r planRow) object() objectRef {
	return objectRef{kind: "RetentionPolicy", namespace: r.Namespace, name: r.Policy}
}

func (r requestRow) object() objectRef {
	return objectRef{kind: "DataSubjectRequest", namespace: r.Namespace, name: r.Name}
}

func (r scanRow) object() objectRef {
	return objectRef{kind: "ProcessingActivity", namespace: r.Namespace, name: r.Activity}
}
